"""Several files at once (or a .zip): a progress bar over the files, then one table (file, task, answer, confidence,
warnings), a CSV and a zip of PDF reports. A bad file gets its message in the table; the others go on."""
from __future__ import annotations

import csv
import io
import traceback
import zipfile

from pywebio import output as out
from pywebio import session

from dataclasses import replace

from gui.i18n import t
from gui.layout import scroll_into_view
from nets.errors import InputError
from nets.report.error_text import error_text
from nets import service
from nets.report.warning_text import warning_text

SUFFIXES = (".nii", ".nii.gz", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".dcm")
MAX_FILES = 50


def is_archive_metadata(path: str) -> bool:
    """What an archiver adds beside the user's files (macOS: __MACOSX/ and ._name resource forks; .DS_Store;
    Windows: Thumbs.db): left out silently, not listed as failed files."""
    base = path.rsplit("/", 1)[-1]
    return path.startswith("__MACOSX/") or "/__MACOSX/" in path or base.startswith("._") or \
        base in (".DS_Store", "Thumbs.db", "desktop.ini")


def expand(files: list) -> list:
    """[(name, bytes or reason)] from uploaded files; a .zip contributes its image / volume members. Nothing is
    dropped unsaid: a file the batch cannot take carries, instead of bytes, the key of the sentence that says why
    (a bad zip: "batch_empty"; a zip member of another kind: "batch_not_input"; past MAX_FILES: "batch_over_limit")."""
    items = []
    for f in files:
        name, raw = f["filename"], f["content"]
        if name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(raw)) as z:
                    for info in z.infolist():
                        if info.is_dir() or is_archive_metadata(info.filename):
                            continue
                        base = info.filename.rsplit("/", 1)[-1]
                        ok = info.filename.lower().endswith(SUFFIXES) and info.file_size < 3e8
                        items.append((base, z.read(info) if ok else "batch_not_input"))
            except (zipfile.BadZipFile, OSError):
                items.append((name, "batch_empty"))
        else:
            items.append((name, raw))
    analysable = [k for k, (_, raw) in enumerate(items) if isinstance(raw, bytes)]
    for k in analysable[MAX_FILES:]:
        items[k] = (items[k][0], "batch_over_limit")
    return items


def analyse_one(name: str, raw: bytes, caller=service.CLI):
    """(result or None, InputError / "internal_error" / None) through the service (the task from the file itself:
    volume / radiograph / photo; stored and logged as a "batch_item" for a page caller)."""
    try:
        res = service.analyse(raw, name, caller=caller)
        res.release()  # the table and the PDFs need neither view nor model input (as gui.app.release_results)
        return res, None
    except InputError as e:
        return None, e
    except service.InternalError:  # a bug: this file fails, the batch goes on
        return None, "internal_error"
    except Exception:
        traceback.print_exc()
        return None, "internal_error"


def run_batch(ctx, files: list):
    items = expand(files)
    ctx.batch = []
    with out.use_scope("progress", clear=True):
        out.put_processbar("batch_bar", 0, label=f"0 / {len(items)}")
        out.put_scope("progress_text")
    scroll_into_view("progress")
    for i, (name, raw) in enumerate(items):
        with out.use_scope("progress_text", clear=True):
            out.put_text(t("batch_file", ctx.lang, i=i + 1, n=len(items), name=name)).style("color:#555")
        if isinstance(raw, bytes):
            res, err = analyse_one(name, raw, replace(ctx.caller, action="batch_item"))
        else:  # not analysed: the sentence's key (see expand), drawn in the page's language
            res, err = None, raw
            ctx.log("batch_item", size=0, error=raw)
        ctx.batch.append((name, res, err))
        out.set_processbar("batch_bar", (i + 1) / len(items), label=f"{i + 1} / {len(items)}")
    out.clear("progress")
    ctx.view = lambda: show_batch(ctx)
    show_batch(ctx)


def batch_rows(ctx) -> list:
    """[file, task, answer, confidence, warnings or message] per file, in the page's language."""
    rows = []
    for name, res, err in ctx.batch:
        if res is None:
            msg = (error_text(err.code, err.message, ctx.lang)[0] if isinstance(err, InputError)
                   else t(err, ctx.lang, n=MAX_FILES))  # "internal_error" or a key of expand
            rows.append([name, "-", t("batch_failed", ctx.lang), "-", msg])
            continue
        j = res.to_json()
        pred = j["prediction"]
        answer = f"{pred} {(j.get('prediction_name') or {}).get(ctx.lang, '')}".strip()
        rows.append([name, t(res.task, ctx.lang), answer, f"{j['probabilities'][pred]:.0%}", "; ".join(warning_text(w, ctx.lang) for w in j["warnings"])])
    return rows


def show_batch(ctx):
    rows = batch_rows(ctx)
    ok = sum(1 for _, res, _ in ctx.batch if res is not None)
    header = [t(k, ctx.lang) for k in ("col_file", "col_task", "col_answer", "col_confidence", "col_warnings")]
    with out.use_scope("result", clear=True):
        out.put_markdown(f"## {t('batch_title', ctx.lang)}")
        out.put_text(t("batch_summary", ctx.lang, ok=ok, n=len(rows), bad=len(rows) - ok))
        with out.use_scope("batch_table"):  # on a phone: one card per file (gui/layout.PAGE_CSS)
            out.put_table(rows, header=header)
        buf = io.StringIO()
        csv.writer(buf).writerows([header] + rows)
        out.put_row([out.put_file("results.csv", buf.getvalue().encode("utf-8-sig"), t("batch_csv", ctx.lang)),
                     out.put_buttons([t("batch_zip", ctx.lang)], onclick=lambda _: download_zip(ctx))],
                    size="auto auto")
        out.put_warning(t("notice", ctx.lang))
        out.put_buttons([{"label": t("again", ctx.lang), "value": "again", "color": "success"}],
                        onclick=lambda _: ctx.again.set())
    scroll_into_view("result")


def download_zip(ctx):
    from nets.report.pdf_report import result_pdf
    out.toast(t("pdf_making", ctx.lang), duration=3)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, (name, res, _) in enumerate(ctx.batch):
            if res is not None:
                z.writestr(f"{k + 1:02d}_{name.rsplit('.', 1)[0]}.pdf", result_pdf(res, ctx.lang))
    session.download("reports.zip", buf.getvalue())
