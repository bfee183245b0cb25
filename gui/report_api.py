"""POST /api/report[?lang=en|zh]: the same multipart form as /api/predict (file, task, target, model), answered with
the PDF report of the result (application/pdf); errors as /api/predict's (JSON {error, message}, 4xx/5xx)."""
from __future__ import annotations

from gui.server import PredictHandler


class ReportHandler(PredictHandler):
    action = "api_report"

    def prepare(self):
        super().prepare()
        self.lang = self.get_query_argument("lang", "en")

    def answer(self, result):
        """(run id, PDF), made in the lane."""
        from nets.report.pdf_report import result_pdf
        return result.run_id, result_pdf(result, self.lang)

    def send(self, answer):
        run_id, pdf = answer
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'attachment; filename="report_{run_id}.pdf"')
        self.write(pdf)

    async def post(self):
        if self._finished:  # answered 413 while the body streamed in
            return
        if self.lang not in ("en", "zh"):
            return self._err(400, "bad_lang", "lang must be en or zh.")
        return await super().post()
