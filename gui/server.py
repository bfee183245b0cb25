"""One tornado server: the PyWebIO page at /, the REST API at /api/*, PyWebIO's own static files (cdn=False)."""
from __future__ import annotations

import asyncio
import json
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import tornado.httputil
import tornado.ioloop
import tornado.web
from pywebio.platform.tornado import webio_handler
from pywebio.utils import STATIC_PATH

from gui.api_base import ApiError, JsonHandler, JsonStaticFileHandler, NotFoundHandler, upload_limit_bytes
from gui.app import main as page_main
from gui.compute_queue import LANES, QueueFullError, lane_for
from gui.uploads import clean, store_upload
from gui.visit_log import client_ip, log_event
from nets.errors import InputError
from nets.report.public_json import public_report
from nets.io.nifti_loader import MAX_FILE_BYTES
from nets.precheck import precheck
from nets.predictor import default_predictor

# header / decode checks run here, outside the compute lanes, so a bad file never waits behind real work
PRECHECK_POOL = ThreadPoolExecutor(2, thread_name_prefix="precheck")
BAD_FILENAME_CHARS = ("\x00", "\n", "\r")


def rss_mb():
    """This process's resident memory (Linux), for /api/health and bench/bench_load.py."""
    try:
        with open("/proc/self/status") as f:
            return round(int(next(line.split()[1] for line in f if line.startswith("VmRSS:"))) / 1024, 1)
    except (OSError, StopIteration, ValueError):
        return None


class HealthHandler(JsonHandler):
    def get(self):
        from nets.registry import REGISTRY
        models = {t: REGISTRY.get(task=t).summary() for t in ("mri", "chest", "skin")}
        self.write({"status": "ok", "threads": threading.active_count(), "rss_mb": rss_mb(),
                    "queues": {n: {"waiting": q.waiting(), "workers": q.workers, "max_waiting": q.max_waiting}
                               for n, q in LANES.items()},
                    "models": {t: {"name": m["name"], "trained": m["trained"]} for t, m in models.items()}})


class PredictHandler(JsonHandler):
    max_body_bytes = upload_limit_bytes()

    def _err(self, status, code, message):
        self.set_status(status)
        self.write({"error": code, "message": message})

    def _form(self):
        """(file bytes, fields) from the multipart body, or a JSON 400."""
        files, args = {}, {}
        try:
            tornado.httputil.parse_body_arguments(self.request.headers.get("Content-Type", ""), self.body(), args,
                                                  files, self.request.headers)
        except tornado.httputil.HTTPInputError as e:
            raise ApiError(400, "malformed_request", f"The request body is not a valid multipart form ({e}).")
        for f in (x for lst in files.values() for x in lst):
            if any(c in f["filename"] for c in BAD_FILENAME_CHARS):
                raise ApiError(400, "bad_filename", "The file name contains a NUL or line-break character.")
        if not files.get("file"):
            raise ApiError(400, "missing_file", "POST a multipart form with a 'file' field.")
        fields = {k: args[k][0].decode("utf-8", "replace") or None for k in ("task", "target", "model", "force", "age")
                  if k in args}
        return files["file"][0]["body"], fields

    async def post(self):
        if self._finished:  # answered 413 while the body streamed in
            return
        ip = client_ip(dict(self.request.headers), self.request.remote_ip)
        ua = self.request.headers.get("User-Agent", "")[:200]
        raw, fields = self._form()
        task, target, model = fields.get("task"), fields.get("target"), fields.get("model")
        force = (fields.get("force") or "").lower() in ("1", "true", "yes", "on")
        age = fields.get("age") or self.get_query_argument("age", None)  # MRI: brain-age gap (form or query)
        if task not in (None, "mri", "chest", "skin"):
            return self._err(400, "bad_task", "task must be one of mri, chest, skin.")
        pred = default_predictor()
        loop = asyncio.get_running_loop()
        try:
            # the lane only needs volume vs image; the user's own task goes on, so that an image without one is
            # routed by the input gates (chest, skin or neither) as on the page and in the CLI
            lane_task = await loop.run_in_executor(PRECHECK_POOL, precheck, raw, task, model)
            job = lane_for(lane_task).submit(lambda: pred.predict_bytes(raw, task=task, target=target, model=model,
                                                                        force=force, age=age).to_json())
            res = await asyncio.wrap_future(job)
        except QueueFullError as e:
            log_event("api_predict", "api", ip, ua, error=e.code, size=len(raw), task=task)
            self.set_header("Retry-After", str(e.retry_after))
            return self._err(503, e.code, e.message)
        except InputError as e:
            log_event("api_predict", "api", ip, ua, error=e.code, size=len(raw))
            self.set_status(422 if e.code != "file_too_large" else 413)
            return self.write(e.to_dict())  # a gate's refusal adds task, can_force and the gate's verdict
        except Exception:  # a bug, not the input: a JSON answer like every other error, and a log line
            traceback.print_exc()
            log_event("api_predict", "api", ip, ua, error="internal_error", size=len(raw))
            return self._err(500, "internal_error", "Something went wrong on our side while analysing this file.")
        store_upload(raw, res["task"])
        log_event("api_predict", "api", ip, ua, task=res["task"], size=len(raw), sha256=res["input"].get("sha256"),
                  prediction=res["prediction"], timings=res["timings_s"], input_type=res["input"].get("kind"))
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.write(json.dumps(public_report(res), ensure_ascii=False))  # no server paths


def make_app():
    from gui.report_api import ReportHandler  # a PredictHandler that answers a PDF (imports this module)
    handlers = [
        (r"/api/health", HealthHandler),
        (r"/api/predict", PredictHandler),
        (r"/api/report", ReportHandler),
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
        default_predictor().warm_up()
    clean()
    app = make_app()
    # bodies are streamed by the API handlers, which raise this per request and answer JSON 413 past their limit;
    # anything else (the page's websocket handshake) has no business sending more than 1 MB
    app.listen(port, address=host, max_buffer_size=MAX_FILE_BYTES + 2**20, max_body_size=2**20)
    pc = tornado.ioloop.PeriodicCallback(lambda: threading.Thread(target=clean, daemon=True).start(), 3600_000)
    pc.start()
    print(f"Serving on http://{'localhost' if host in ('0.0.0.0', '') else host}:{port}/", flush=True)
    tornado.ioloop.IOLoop.current().start()
