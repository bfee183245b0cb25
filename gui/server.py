"""One tornado server: the PyWebIO page at /, the REST API at /api/*, PyWebIO's own static files (cdn=False)."""
from __future__ import annotations

import json
import threading
import traceback

import tornado.ioloop
import tornado.web
from pywebio.platform.tornado import webio_handler
from pywebio.utils import STATIC_PATH

from gui.app import main as page_main
from gui.compute_queue import QUEUE
from gui.uploads import clean_old, store_upload
from gui.visit_log import client_ip, log_event
from nets.errors import InputError
from nets.io.nifti_loader import MAX_FILE_BYTES
from nets.predictor import default_predictor


class HealthHandler(tornado.web.RequestHandler):
    def get(self):
        from nets.registry import REGISTRY
        models = {t: REGISTRY.get(task=t).summary() for t in ("mri", "chest", "skin")}
        self.write({"status": "ok", "threads": threading.active_count(), "models": {t: {"name": m["name"], "trained": m["trained"]}
                                               for t, m in models.items()}})


class PredictHandler(tornado.web.RequestHandler):
    executor = None

    def _err(self, status, code, message):
        self.set_status(status)
        self.write({"error": code, "message": message})

    async def post(self):
        files = self.request.files.get("file")
        ip = client_ip(dict(self.request.headers), self.request.remote_ip)
        ua = self.request.headers.get("User-Agent", "")[:200]
        if not files:
            return self._err(400, "missing_file", "POST a multipart form with a 'file' field.")
        raw = files[0]["body"]
        task = self.get_body_argument("task", None) or None
        target = self.get_body_argument("target", None) or None
        model = self.get_body_argument("model", None) or None
        force = (self.get_body_argument("force", "") or "").lower() in ("1", "true", "yes", "on")
        if task not in (None, "mri", "chest", "skin"):
            return self._err(400, "bad_task", "task must be one of mri, chest, skin.")
        pred = default_predictor()

        def work():
            return QUEUE.run(lambda: pred.predict_bytes(raw, task=task, target=target, model=model,
                                                      force=force)).to_json()

        try:
            res = await tornado.ioloop.IOLoop.current().run_in_executor(None, work)
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
        self.write(json.dumps(res, ensure_ascii=False))


def make_app():
    handlers = [
        (r"/api/health", HealthHandler),
        (r"/api/predict", PredictHandler),
        (r"/", webio_handler(page_main, cdn=False)),
        (r"/(.*)", tornado.web.StaticFileHandler, {"path": STATIC_PATH, "default_filename": "index.html"}),
    ]
    from pywebio.platform import page
    page.MAX_PAYLOAD_SIZE = MAX_FILE_BYTES + 2**20  # what start_server(max_payload_size=...) would set
    return tornado.web.Application(handlers, websocket_ping_interval=30,
                                   websocket_max_message_size=MAX_FILE_BYTES + 2**20)


def serve(host="0.0.0.0", port=6006, warm=True):
    if warm:
        default_predictor().warm_up()
    clean_old()
    app = make_app()
    app.listen(port, address=host, max_buffer_size=MAX_FILE_BYTES + 2**20, max_body_size=MAX_FILE_BYTES + 2**20)
    pc = tornado.ioloop.PeriodicCallback(lambda: threading.Thread(target=clean_old, daemon=True).start(), 3600_000)
    pc.start()
    print(f"Serving on http://{'localhost' if host in ('0.0.0.0', '') else host}:{port}/", flush=True)
    tornado.ioloop.IOLoop.current().start()
