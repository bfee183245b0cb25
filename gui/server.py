"""One tornado server: the PyWebIO page at /, the REST API at /api/*, PyWebIO's own static files (cdn=False)."""
from __future__ import annotations

import json
import threading
import time

import tornado.httputil
import tornado.ioloop
import tornado.web
from pywebio.platform.tornado import webio_handler
from pywebio.utils import STATIC_PATH

from gui.api_base import ApiError, JsonHandler, JsonStaticFileHandler, NotFoundHandler, upload_limit_bytes
from gui.app import main as page_main
from gui.json_http_server import JsonHTTPServer
from nets import service
from nets.errors import InputError
from nets.io.nifti_loader import MAX_FILE_BYTES
from nets.model_configs import TASKS
from nets.report.public_json import public_report
from nets.service.analysis import SHARED_JOBS
from nets.service.compute_lanes import LANES, QueueFullError
from nets.service.upload_store import clean
from nets.service.visit_log import client_ip

BAD_FILENAME_CHARS = ("\x00", "\n", "\r")


def rss_mb():
    """This process's resident memory (Linux), for /api/health and bench/bench_load.py."""
    try:
        with open("/proc/self/status") as f:
            return round(int(next(line.split()[1] for line in f if line.startswith("VmRSS:"))) / 1024, 1)
    except (OSError, StopIteration, ValueError):
        return None


def media_type_lowered(content_type: str) -> str:
    """The Content-Type with its media type and parameter names in lower case (they are case-insensitive, RFC 9110;
    Tornado matches "multipart/form-data" and "boundary" as written); the boundary's value keeps its case."""
    media, *params = content_type.split(";")
    out = [media.strip().lower()]
    for p in params:
        key, sep, value = p.strip().partition("=")
        out.append(key.strip().lower() + sep + value.strip())  # "boundary = XyZ" too
    return "; ".join(out)

class HealthHandler(JsonHandler):
    def get(self):
        from nets.registry import REGISTRY
        models = {t: REGISTRY.get(task=t).summary() for t in TASKS}
        self.write({"status": "ok", "threads": threading.active_count(), "rss_mb": rss_mb(),
                    "cpu_s": round(time.process_time(), 2),  # all threads' CPU time: bench_page_load's share
                    "queues": {n: {"waiting": q.waiting(), "workers": q.workers, "max_waiting": q.max_waiting}
                               for n, q in LANES.items()},
                    "shared_jobs": {"in_flight": SHARED_JOBS.in_flight(), "joined": SHARED_JOBS.joined},
                    "models": {t: {"name": m["name"], "trained": m["trained"]} for t, m in models.items()}})


class PredictHandler(JsonHandler):
    max_body_bytes = upload_limit_bytes()

    def _err(self, status, code, message):
        self.set_status(status)
        self.write({"error": code, "message": message})

    form_fields = ("task", "target", "model", "force", "age")  # the text fields read besides `file`
    missing_file_message = "POST a multipart form with a 'file' field."

    def _form(self):
        """(file bytes, file name, fields) from the multipart body, or a JSON 400."""
        files, args = {}, {}
        try:
            tornado.httputil.parse_body_arguments(media_type_lowered(self.request.headers.get("Content-Type", "")),
                                                  self.body(), args, files, self.request.headers)
        except tornado.httputil.HTTPInputError as e:
            raise ApiError(400, "malformed_request", f"The request body is not a valid multipart form ({e}).")
        for f in (x for lst in files.values() for x in lst):
            if any(c in f["filename"] for c in BAD_FILENAME_CHARS):
                raise ApiError(400, "bad_filename", "The file name contains a NUL or line-break character.")
        fields = {k: args[k][0].decode("utf-8", "replace") or None for k in self.form_fields if k in args}
        for k in self.form_fields:  # a field may also come in the query string (?task=chest&age=71); the form wins
            fields[k] = fields.get(k) or self.get_query_argument(k, None) or None
        if files.get("file"):
            return files["file"][0]["body"], files["file"][0]["filename"], fields
        if args.get("file") and args["file"][0]:  # a 'file' part without a filename (curl -F 'file=<x.png')
            return args["file"][0], "", fields
        raise ApiError(400, "missing_file", self.missing_file_message)

    action = "api_predict"  # the visit log's action

    def answer(self, result):
        """What the lane makes of the result (runs there, off the event loop): the public JSON."""
        return result.to_json()

    def send(self, answer):
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.write(json.dumps(public_report(answer), ensure_ascii=False))  # no server paths

    def caller(self) -> service.Caller:
        ip = client_ip(dict(self.request.headers), self.request.remote_ip)
        return service.Caller("api", self.action, "api", ip, self.request.headers.get("User-Agent", "")[:200])

    async def post(self):
        """The form -> nets.service.analyse_async -> JSON; every failure as JSON {error, message} (422 for the file,
        with a gate's task / can_force / verdict; 413, 503 + Retry-After, 500)."""
        if self._finished:  # answered 413 while the body streamed in
            return
        raw, filename, fields = self._form()
        task = (fields.get("task") or "").strip().lower() or None  # "Chest" is chest
        target, model, age = fields.get("target"), fields.get("model"), fields.get("age")  # age: MRI brain-age gap
        force = (fields.get("force") or "").lower() in ("1", "true", "yes", "on")
        if task not in (None, *TASKS):
            return self._err(400, "bad_task", f"task must be one of {', '.join(TASKS)}.")
        await self.answer_with(service.analyse_async(raw, filename, task, model, target, force, age,
                                                     caller=self.caller(), then=self.answer))

    def status_for(self, e: InputError) -> int:
        """The HTTP status of an input's typed error."""
        return 413 if e.code == "file_too_large" else 422

    async def answer_with(self, work, bug_message: str | None = None):
        """Await the service call and send its answer, or the JSON error: 413 / 422 (status_for), 503 with
        Retry-After, 500 for a bug (printed and logged by the service)."""
        try:
            answer = await work
        except QueueFullError as e:
            self.set_header("Retry-After", str(e.retry_after))
            return self._err(503, e.code, e.message)
        except InputError as e:
            self.set_status(self.status_for(e))
            return self.write(e.to_dict())  # a gate's refusal adds task, can_force and the gate's verdict
        except service.InternalError as e:
            return self._err(500, e.code, bug_message or e.message)
        self.send(answer)


def make_app():
    from gui.report_api import ReportHandler  # a PredictHandler that answers a PDF (imports this module)
    from gui.feedback_api import FeedbackHandler  # the user's label for an input (issue 23)
    handlers = [
        (r"/api/health", HealthHandler),
        (r"/api/predict", PredictHandler),
        (r"/api/report", ReportHandler),
        (r"/api/feedback", FeedbackHandler),
        (r"/api/.*", NotFoundHandler),
        (r"/", webio_handler(page_main, cdn=False)),
        (r"/(.*)", JsonStaticFileHandler, {"path": STATIC_PATH, "default_filename": "index.html"}),
    ]
    from pywebio.platform import page
    page.MAX_PAYLOAD_SIZE = MAX_FILE_BYTES + 2**20  # what start_server(max_payload_size=...) would set
    return tornado.web.Application(handlers, websocket_ping_interval=30, default_handler_class=NotFoundHandler,
                                   websocket_max_message_size=MAX_FILE_BYTES + 2**20)


def serve(host="0.0.0.0", port=6006, warm=True):
    if warm:
        service.warm_up()
    clean()
    app = make_app()
    # bodies are streamed by the API handlers, which raise this per request and answer JSON 413 past their limit;
    # anything else (the page's websocket handshake) has no business sending more than 1 MB
    server = JsonHTTPServer(app, max_buffer_size=MAX_FILE_BYTES + 2**20, max_body_size=2**20)
    server.listen(port, address=host)
    pc = tornado.ioloop.PeriodicCallback(lambda: threading.Thread(target=clean, daemon=True).start(), 3600_000)
    pc.start()
    print(f"Serving on http://{'localhost' if host in ('0.0.0.0', '') else host}:{port}/", flush=True)
    tornado.ioloop.IOLoop.current().start()
