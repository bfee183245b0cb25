"""POST /api/feedback: the same multipart form as /api/predict (`file`, optional `task`, `model`) plus `label` (one of
the task's classes) and optional `run_id` (of the earlier answer the label is about). The file is analysed again
without explanation (one forward pass) to record the model's answer beside the label; then one line and the input
(named by its sha256) are stored (nets/feedback/store.py). Answers {"stored": true, "feedback": {...}}; errors as
/api/predict's: 400 (no file, no label, bad task), 413 (a file over the limit), 422 (the file, or a label that is
not a class), 507 (the feedback store is full), 503 (queue full), 500 (a bug)."""
from __future__ import annotations

from gui.api_base import ApiError
from gui.server import PredictHandler
from nets import service
from nets.errors import InputError
from nets.model_configs import TASKS


def _record(raw, res, label, run_id):
    """Runs in the compute lane after the forward pass: the label is checked before anything is written."""
    from nets.feedback.store import check_label, record_feedback
    check_label(label, res.classes)
    j = res.to_json()
    line = record_feedback(raw, run_id=run_id or res.run_id, task=res.task, model=res.model.name,
                           prediction=j["prediction"], label=label, classes=res.classes, source="api")
    return {k: v for k, v in line.items() if k != "input"}


class FeedbackHandler(PredictHandler):
    action = "api_feedback"

    form_fields = ("task", "model", "label", "run_id")
    missing_file_message = "POST a multipart form with a 'file' field and a 'label' field."

    def _fields(self):
        raw, _, fields = self._form()
        fields = {k: v.strip() or None for k, v in fields.items() if v}
        if not fields.get("label"):
            raise ApiError(400, "missing_label", "POST a 'label' field: one of the task's classes.")
        return raw, fields

    async def post(self):
        """The form -> nets.service.analyse_async (no explanation, forced past the gate: the label is about this
        input whatever the gate says; the upload is not stored again) -> one feedback line."""
        if self._finished:  # answered 413 while the body streamed in
            return
        raw, f = self._fields()
        if f.get("task") not in (None, *TASKS):
            return self._err(400, "bad_task", f"task must be one of {', '.join(TASKS)}.")
        await self.answer_with(service.analyse_async(
            raw, "", f.get("task"), f.get("model"), force=True, caller=self.caller(), store=False, explain=False,
            then=lambda res: _record(raw, res, f["label"], f.get("run_id"))),
            "Something went wrong on our side while keeping this feedback.")

    def status_for(self, e: InputError) -> int:
        return 507 if e.code == "feedback_full" else super().status_for(e)

    def send(self, line):
        self.write({"stored": True, "feedback": line})
