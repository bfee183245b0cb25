"""POST /api/report: the same multipart form as /api/predict (file, task, target, model) plus lang=en|zh; answers
the PDF report of the result (application/pdf), or a JSON error {error, message} with a 4xx/5xx status."""
from __future__ import annotations

import traceback

import tornado.ioloop
import tornado.web

from gui.compute_queue import QUEUE
from gui.visit_log import client_ip, log_event
from nets.errors import InputError
from nets.predictor import default_predictor


class ReportHandler(tornado.web.RequestHandler):
    def _err(self, status, code, message):
        self.set_status(status)
        self.write({"error": code, "message": message})

    async def post(self):
        files = self.request.files.get("file")
        if not files:
            return self._err(400, "missing_file", "POST a multipart form with a 'file' field.")
        raw = files[0]["body"]
        args = {k: self.get_body_argument(k, None) or None for k in ("task", "target", "model")}
        lang = self.get_body_argument("lang", "en")
        if args["task"] not in (None, "mri", "chest", "skin"):
            return self._err(400, "bad_task", "task must be one of mri, chest, skin.")
        if lang not in ("en", "zh"):
            return self._err(400, "bad_lang", "lang must be en or zh.")
        ip = client_ip(dict(self.request.headers), self.request.remote_ip)
        ua = self.request.headers.get("User-Agent", "")[:200]

        def work():
            from nets.report.pdf_report import result_pdf
            res = QUEUE.run(lambda: default_predictor().predict_bytes(raw, **args))
            return res.to_json(), result_pdf(res, lang)

        try:
            j, pdf = await tornado.ioloop.IOLoop.current().run_in_executor(None, work)
        except InputError as e:
            log_event("api_report", "api", ip, ua, error=e.code, size=len(raw))
            return self._err(422 if e.code != "file_too_large" else 413, e.code, e.message)
        except Exception:  # a bug, not the input: JSON like every other error, and a log line
            traceback.print_exc()
            log_event("api_report", "api", ip, ua, error="internal_error", size=len(raw))
            return self._err(500, "internal_error", "Something went wrong on our side while analysing this file.")
        log_event("api_report", "api", ip, ua, task=j["task"], size=len(raw), sha256=j["input"].get("sha256"),
                  prediction=j["prediction"])
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'attachment; filename="report_{j["run_id"]}.pdf"')
        self.write(pdf)
