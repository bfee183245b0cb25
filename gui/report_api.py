"""POST /api/report[?lang=en|zh]: the same multipart form as /api/predict (file, task, target, model), answered with
the PDF report of the result (application/pdf); errors as /api/predict's (JSON {error, message}, 4xx/5xx)."""
from __future__ import annotations

import asyncio
import traceback

from gui.compute_queue import QueueFullError, lane_for
from gui.server import PRECHECK_POOL, PredictHandler
from gui.visit_log import client_ip, log_event
from nets.errors import InputError
from nets.precheck import precheck
from nets.predictor import default_predictor


def _result_and_pdf(raw, task, target, model, lang):
    from nets.report.pdf_report import result_pdf
    res = default_predictor().predict_bytes(raw, task=task, target=target, model=model)
    return res.to_json(), result_pdf(res, lang)


class ReportHandler(PredictHandler):
    async def post(self):
        if self._finished:  # answered 413 while the body streamed in
            return
        ip = client_ip(dict(self.request.headers), self.request.remote_ip)
        ua = self.request.headers.get("User-Agent", "")[:200]
        lang = self.get_query_argument("lang", "en")
        if lang not in ("en", "zh"):
            return self._err(400, "bad_lang", "lang must be en or zh.")
        raw, fields = self._form()
        task, target, model = fields.get("task"), fields.get("target"), fields.get("model")
        if task not in (None, "mri", "chest", "skin"):
            return self._err(400, "bad_task", "task must be one of mri, chest, skin.")
        try:
            task = await asyncio.get_running_loop().run_in_executor(PRECHECK_POOL, precheck, raw, task, model)
            j, pdf = await asyncio.wrap_future(lane_for(task).submit(
                lambda: _result_and_pdf(raw, task, target, model, lang)))
        except QueueFullError as e:
            log_event("api_report", "api", ip, ua, error=e.code, size=len(raw), task=task)
            self.set_header("Retry-After", str(e.retry_after))
            return self._err(503, e.code, e.message)
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
