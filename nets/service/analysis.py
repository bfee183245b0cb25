"""The analysis service: the one path from every entry point (page, REST API, CLI) to the models.

    analyse(raw, filename, task=None, model=None, target=None, progress=None, force=False, age=None) -> Result

In order: route the input once (nets/io/routing.py: the task and model, the cheap header / decode checks) before
any queue; store the upload (servers only, nets/service/upload_store.py); wait for a place in the input's compute
lane (nets/service/compute_lanes.py); run the predictor (nets/predictor.py); write the visit-log line
(nets/service/visit_log.py). Errors: an input's typed error (nets/errors.py) is logged and raised as it is; anything
else is a bug: its traceback is printed, it is logged as `internal_error` and raised as InternalError, which each
entry point answers in its own way (page message, JSON 500, CLI exit 1). The server keeps serving."""
from __future__ import annotations

import asyncio
import queue
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from nets.errors import InputError, UnreadableFileError
from nets.service.compute_lanes import QueueFullError, lane_for
from nets.service.shared_jobs import SharedJobs, job_key
from nets.io.routing import Route, route

# the routing checks of the REST API run here, outside the compute lanes, so a bad file never waits behind real work
PRECHECK_POOL = ThreadPoolExecutor(2, thread_name_prefix="precheck")
SHARED_JOBS = SharedJobs()  # identical API requests in flight share one job


class InternalError(Exception):
    """A bug on our side (not the input): `cause` names the exception type."""
    code = "internal_error"
    message = "Something went wrong on our side while analysing this file."

    def __init__(self, cause: str):
        super().__init__(f"internal error ({cause})")
        self.cause = cause


@dataclass(frozen=True)
class Caller:
    """Who asks, for the visit log and the upload store. `action`: the log's action for the answer."""
    channel: str = "cli"  # "page" | "api" | "cli"
    action: str = "predict"
    session: str = ""
    ip: str = ""
    user_agent: str = ""

    @property
    def is_server(self) -> bool:
        """Page and API store uploads and write the visit log; the CLI does neither."""
        return self.channel != "cli"


CLI = Caller()


def _log(caller: Caller, action: str | None = None, **fields) -> None:
    if not caller.is_server:
        return
    from nets.service.visit_log import log_event
    try:
        log_event(action or caller.action, caller.session, caller.ip, caller.user_agent, **fields)
    except OSError:
        pass  # a full disk must not cost the user the answer


def _bug(caller: Caller, exc: Exception, size: int) -> InternalError:
    if caller.is_server:
        traceback.print_exc()
    _log(caller, error="internal_error", size=size)
    return InternalError(type(exc).__name__)


def read_input(path) -> bytes:
    """A file's bytes, or the typed error a person can act on."""
    p = Path(path)
    try:
        if not p.exists():
            raise InputError(f"No such file: {p.name[:80]}")
        if not p.is_file():
            raise InputError(f"Not a regular file (a folder, device or pipe): {p.name[:80]}")
        return p.read_bytes()
    except OSError as e:  # e.g. a name longer than the file system allows
        raise UnreadableFileError(f"The file cannot be read: {e.strerror or type(e).__name__}.") from None


def prepare(raw: bytes, filename: str = "", task: str | None = None, model: str | None = None,
            caller: Caller = CLI, where: Route | None = None, store: bool = True, check_header: bool = True) -> Route:
    """Routing and the cheap checks, before any queue (skipped when `where` is given); a refused input is logged;
    an accepted upload is stored (store=False: not yet, e.g. while the page asks the user for the task).
    check_header=False leaves a volume's header to the reader (no queue to protect: the CLI)."""
    where = where or _logged(caller, raw, lambda: route(raw, filename, task, model, check_header))
    if caller.is_server and store:
        from nets.service.upload_store import store_upload
        ticket = store_upload(raw, where.task)
        _log(caller, "upload", input_type=ticket["kind"], size=len(raw), sha256=ticket["sha256"], task=where.task,
             model=where.model)
    return where


def _logged(caller: Caller, raw: bytes, fn):
    """fn() with the service's error contract: an input's error is logged and raised as it is, a bug becomes a logged
    InternalError."""
    try:
        return fn()
    except InputError as e:
        _log(caller, error=e.code, size=len(raw))
        raise
    except Exception as e:
        raise _bug(caller, e, len(raw)) from e


def _predict(raw: bytes, where: Route, caller: Caller, target, progress, force: bool, age, predictor, **options):
    """The predictor's Result for a routed input (the age only for a volume: the brain-age gap)."""
    from nets.predictor import default_predictor
    extra = {"age": age} if age is not None and where.task == "mri" else {}
    return _logged(caller, raw, lambda: (predictor or default_predictor()).predict_routed(
        raw, where, target=target, progress=progress, force=force, **options, **extra))


def _prepare_volume(raw: bytes, where: Route, caller: Caller, age, progress=None, weights=None) -> None:
    """An MRI's alignment, in the prep lane before its 3d job (nets.predictor.Predictor.prepare_volume)."""
    from nets.predictor import default_predictor
    if progress:
        progress("preprocessing", 0.2)
    _logged(caller, raw, lambda: default_predictor().prepare_volume(raw, where, age, weights))


def _forward_only(progress):
    """progress(step, fraction) that never moves back (the 3d job starts at "reading" after the prep lane's
    "preprocessing")."""
    last = [0.0]

    def step(name, frac):
        if frac >= last[0]:
            last[0] = frac
            progress(name, frac)
    return step


def _staged(first: Future, lane, fn) -> Future:
    """A future for `fn` run in `lane` once `first` has succeeded (first's error, or a full lane, otherwise)."""
    out = Future()

    def then_run(f):
        if f.exception() is not None:
            return out.set_exception(f.exception())
        try:
            job = lane.submit(fn)
        except Exception as e:  # noqa: BLE001 - e.g. QueueFullError: the caller's answer
            return out.set_exception(e)
        job.add_done_callback(lambda g: out.set_exception(g.exception()) if g.exception() is not None
                              else out.set_result(g.result()))
    first.add_done_callback(then_run)
    return out


def _answer(res, raw: bytes, caller: Caller, then=None):
    """`then(result)` (the API's JSON or PDF; the Result itself without it) and the caller's visit-log line."""
    out = _logged(caller, raw, lambda: then(res) if then else res)
    j = res.to_json()
    _log(caller, task=j["task"], input_type=j["input"].get("kind"), size=len(raw), sha256=j["input"].get("sha256"),
         prediction=j["prediction"], timings=j["timings_s"])
    return out


def compute(raw: bytes, where: Route, caller: Caller = CLI, target=None, progress=None, force: bool = False,
            age=None, predictor=None, then=None, **options):
    """The analysis of a routed input (runs inside its compute lane); `then(result)` runs there too (the API's JSON
    or PDF). options: explain, weights, save_relevance (nets.predictor.Predictor.predict_routed)."""
    return _answer(_predict(raw, where, caller, target, progress, force, age, predictor, **options), raw, caller,
                   then)


def analyse(raw: bytes, filename: str = "", task: str | None = None, model: str | None = None, target=None,
            progress=None, force: bool = False, age=None, *, caller: Caller = CLI, where: Route | None = None,
            on_wait=None, in_lane: bool = True, predictor=None, store: bool = True, **options):
    """Route, check, store, queue, predict, log: one input from any entry point -> Result. `where`: the route from
    prepare(..., store=False) (the page asks the user for the task and model in between; `task` / `model` given here
    then override it); in_lane=False runs in the caller's thread without a lane (CLI, cohorts); on_wait(place)
    while waiting."""
    if where is not None:
        where = where.chosen(task or where.task, model)
    where = prepare(raw, filename, task, model, caller, where, store, check_header=in_lane)

    if in_lane and where.task == "mri" and predictor is None:
        return _staged_volume(raw, where, caller, target, progress, force, age, on_wait, **options)

    def job():
        return compute(raw, where, caller, target, progress, force, age, predictor, **options)
    if not in_lane:
        return job()
    try:
        return lane_for(where.task).run(job, on_wait=on_wait)
    except QueueFullError as e:
        _log(caller, error=e.code, size=len(raw), task=where.task)
        raise


def _staged_volume(raw, where, caller, target, progress, force, age, on_wait, **options):
    """An MRI from the page: aligned in the prep lane, then analysed in the 3d lane, both on the lanes' (niced) pools;
    the progress they report is shown from the caller's thread, never moving back."""
    shown = _forward_only(progress) if progress else None
    reported = queue.SimpleQueue()

    def show():
        while shown and not reported.empty():
            shown(*reported.get())
    report = (lambda step, frac: reported.put((step, frac))) if progress else None
    try:
        lane_for("prep").run_pooled(lambda: _prepare_volume(raw, where, caller, age, report, options.get("weights")),
                                    on_wait, show)
        return lane_for(where.task).run_pooled(
            lambda: compute(raw, where, caller, target, report, force, age, **options), on_wait, show)
    except QueueFullError as e:
        _log(caller, error=e.code, size=len(raw), task=where.task)
        raise


async def analyse_async(raw: bytes, filename: str = "", task: str | None = None, model: str | None = None,
                        target=None, force: bool = False, age=None, *, caller: Caller = CLI, then=None,
                        store: bool = True, **options):
    """analyse for the tornado handlers: the routing checks on a small pool, the analysis (and `then(result)`, e.g.
    the JSON or the PDF) on the lane's fixed thread pool, so the thread count stays flat under load. A request
    identical to one still in flight (same bytes and options) joins it (nets/service/shared_jobs.py) and only makes
    its own answer and log line from the shared result."""
    loop = asyncio.get_running_loop()
    where = await loop.run_in_executor(PRECHECK_POOL, prepare, raw, filename, task, model, caller, None, store)
    key = await loop.run_in_executor(PRECHECK_POOL, job_key, raw, where.task, where.model, target, bool(force),
                                     age if where.task == "mri" else None, repr(sorted(options.items())))

    def first_job():  # the first caller's answer is made in the lane; a failing answer still shares the result
        res = _predict(raw, where, caller, target, None, force, age, None, **options)
        try:
            return res, _answer(res, raw, caller, then), None
        except Exception as e:
            return res, None, e

    def submit():
        if where.task != "mri":
            return lane_for(where.task).submit(first_job)
        aligned = lane_for("prep").submit(lambda: _prepare_volume(raw, where, caller, age, None, options.get("weights")))
        return _staged(aligned, lane_for(where.task), first_job)
    try:
        job, joined = SHARED_JOBS.get_or_submit(key, submit)
        if not joined:
            _, out, err = await asyncio.wrap_future(job)
            if err is not None:
                raise err
            return out
    except QueueFullError as e:
        _log(caller, error=e.code, size=len(raw), task=where.task)
        raise
    try:
        res, _, _ = await asyncio.wrap_future(job)
    except (InputError, InternalError) as e:  # the first caller's error, logged for this caller too
        _log(caller, error=e.code, size=len(raw))
        raise
    return await loop.run_in_executor(PRECHECK_POOL, _answer, res, raw, caller, then)


def explain(result, method: str, target=None, progress=None, on_wait=None) -> dict:
    """Another explanation method for a result (in the long lane for occlusion): its JSON entry."""
    from nets.predictor import default_predictor
    lane = lane_for("occlusion" if method == "occlusion" else result.task)  # slow maps wait in the long lane
    return lane.run(lambda: default_predictor().explain(result, method, target, progress=progress), on_wait=on_wait)


def explain_class(result, target):
    """The same input explained for another class (a new Result sharing the input's live handles)."""
    from nets.predictor import default_predictor
    return lane_for(result.task).run(lambda: default_predictor().explain_class(result, target))


def occlusion(result, target=None) -> dict:
    """The MRI occlusion summary (cubes that most raise / lower the class), computed once per result, in the long
    lane like every occlusion map."""
    from nets.predictor import default_predictor
    return lane_for("occlusion").run(lambda: default_predictor().occlusion(result, target))


def detect_image_task(where: Route) -> str:
    """The modality check with the input gates for a routed 2D image: 'chest', 'skin' or 'neither'."""
    from nets.predictor import default_predictor
    return default_predictor().detect_image_task(where)


def warm_up() -> None:
    from nets.predictor import default_predictor
    default_predictor().warm_up()
