"""POST /api/feedback: the same multipart form as /api/predict (`file`, optional `task`, `model`) plus `label` (one of
the task's classes) and optional `run_id` (of the earlier answer the label is about). The file is analysed again
without explanation (one forward pass) to record the model's answer beside the label; then one line and the input
(named by its sha256) are stored (nets/feedback/store.py). Answers {"stored": true, "feedback": {...}}; errors as
/api/predict's: 400 (no file, no label, bad task), 422 (the file, or a label that is not a class), 507 (the feedback
store is full), 503 (queue full), 500 (a bug)."""
from __future__ import annotations

import asyncio
import traceback

import tornado.httputil

from gui.api_base import ApiError
from gui.compute_queue import QueueFullError, lane_for
from gui.server import PRECHECK_POOL, PredictHandler
from gui.visit_log import client_ip, log_event
from nets.errors import InputError
from nets.precheck import precheck
from nets.predictor import default_predictor


def _predict_and_record(raw, task, model, label, run_id):
    from nets.feedback.store import check_label, record_feedback
    res = default_predictor().predict_bytes(raw, task=task, model=model, explain=False, force=True)
    check_label(label, res.classes)  # before anything is written
    j = res.to_json()
    line = record_feedback(raw, run_id=run_id or res.run_id, task=res.task, model=res.model.name,
                           prediction=j["prediction"], label=label, classes=res.classes, source="api")
    return {k: v for k, v in line.items() if k != "input"}


class FeedbackHandler(PredictHandler):
    def _fields(self):
        files, args = {}, {}
        try:
            tornado.httputil.parse_body_arguments(self.request.headers.get("Content-Type", ""), self.body(), args,
                                                  files, self.request.headers)
        except tornado.httputil.HTTPInputError as e:
            raise ApiError(400, "malformed_request", f"The request body is not a valid multipart form ({e}).")
        if not files.get("file"):
            raise ApiError(400, "missing_file", "POST a multipart form with a 'file' field and a 'label' field.")
        fields = {k: args[k][0].decode("utf-8", "replace").strip() or None
                  for k in ("task", "model", "label", "run_id") if k in args}
        if not fields.get("label"):
            raise ApiError(400, "missing_label", "POST a 'label' field: one of the task's classes.")
        return files["file"][0]["body"], fields

    async def post(self):
        if self._finished:  # answered 413 while the body streamed in
            return
        ip = client_ip(dict(self.request.headers), self.request.remote_ip)
        ua = self.request.headers.get("User-Agent", "")[:200]
        raw, f = self._fields()
        if f.get("task") not in (None, "mri", "chest", "skin"):
            return self._err(400, "bad_task", "task must be one of mri, chest, skin.")
        try:
            lane = await asyncio.get_running_loop().run_in_executor(PRECHECK_POOL, precheck, raw, f.get("task"),
                                                                    f.get("model"))
            line = await asyncio.wrap_future(lane_for(lane).submit(
                lambda: _predict_and_record(raw, f.get("task"), f.get("model"), f["label"], f.get("run_id"))))
        except QueueFullError as e:
            self.set_header("Retry-After", str(e.retry_after))
            return self._err(503, e.code, e.message)
        except InputError as e:
            log_event("api_feedback", "api", ip, ua, error=e.code, size=len(raw))
            return self._err(507 if e.code == "feedback_full" else 422, e.code, e.message)
        except Exception:  # a bug, not the input
            traceback.print_exc()
            log_event("api_feedback", "api", ip, ua, error="internal_error", size=len(raw))
            return self._err(500, "internal_error", "Something went wrong on our side while keeping this feedback.")
        log_event("api_feedback", "api", ip, ua, task=line["task"], agrees=line["agrees"])
        self.write({"stored": True, "feedback": line})
