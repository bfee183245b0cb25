"""The downloads of one result: the PDF report (made on click), the JSON report without server paths, the montage."""
from __future__ import annotations

import json
import traceback
from pathlib import Path

from pywebio import output as out
from pywebio import session

from gui.i18n import t
from nets.report.public_json import public_report


def put_downloads(ctx, res):
    j = res.to_json()
    report = json.dumps(public_report(j), indent=2, ensure_ascii=False).encode()
    items = [out.put_buttons([{"label": t("pdf_report", ctx.lang), "value": "pdf", "color": "primary"}],
                             onclick=lambda _: download_pdf(ctx, res)),
             out.put_file(f"report_{res.run_id}.json", report, t("json_report", ctx.lang))]
    montage = (j.get("images") or {}).get("montage")
    if montage and Path(montage).exists():
        items.append(out.put_file(f"montage_{res.run_id}.png", Path(montage).read_bytes(), t("montage", ctx.lang)))
    out.put_row(items, size=" ".join(["auto"] * len(items)))


def download_pdf(ctx, res):
    from nets.report.pdf_report import result_pdf
    out.toast(t("pdf_making", ctx.lang), duration=2)
    try:
        pdf = result_pdf(res, ctx.lang)
    except Exception:  # a bug in the report: say so, keep the page
        traceback.print_exc()
        ctx.log("report_pdf", error="internal_error")
        out.toast(t("internal_error", ctx.lang), color="error")
        return
    ctx.log("report_pdf", task=res.task)
    session.download(f"report_{res.run_id}.pdf", pdf)
