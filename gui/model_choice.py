"""The result page's "other models" section for chest and skin: the comparison table of every registered model of the
task on the same validation split (written by python -m nets.compare TASK), collapsed, and one button per other usable
model that analyses the same input with it (the default model stays the one DEFAULT_RULE picks)."""
from __future__ import annotations

import json
import traceback

from pywebio import output as out
from pywebio.exceptions import SessionException

from nets import service
from gui.error_message import put_error_message
from gui.i18n import t
from nets import PROJECT_ROOT
from nets.errors import InputError
from nets.registry import REGISTRY


def comparison_table(task: str) -> dict | None:
    p = PROJECT_ROOT / "data" / "model_save" / f"comparison_{task}" / "comparison.json"
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return None


def put_other_models(ctx, res):
    """Call inside the result scope; nothing for a task with one model."""
    if res.task not in ("chest", "skin"):
        return
    others = [n for n in REGISTRY.usable(res.task) if n != res.model.name]
    table = comparison_table(res.task)
    if not others and not table:
        return
    out.put_markdown(f"#### {t('mc_title', ctx.lang)}")
    if table:
        rows = [[r["model"], f"{r['architecture']} ({r['input_size']} px)", f"{r['balanced_accuracy']:.3f}",
                 f"{r['auc']:.3f}" if r["auc"] is not None else "-", f"{r['ece']:.3f}", f"{r['ms_per_image']:.0f}",
                 f"{r['parameters'] / 1e6:.2f} M", r["mb"] or "-"] for r in table["models"]]
        s = table["split"]
        header = [t(k, ctx.lang) for k in ("col_model", "mc_arch", "mc_bacc", "mc_auc", "mc_ece", "mc_ms",
                                          "mc_params", "mc_mb")]
        out.put_collapse(t("mc_table", ctx.lang), [
            out.put_table(rows, header=header),
            out.put_text(t("mc_split", ctx.lang, n=s["n_val_images"], method=s["method"],
                           fp=s["files_sha256"][:12], default=table["default_model"])).style("color:#555")])
    if others:
        out.put_buttons([{"label": t("mc_run", ctx.lang, m=n), "value": n} for n in others],
                        onclick=lambda n: _run_with(ctx, res, n), small=True)
        out.put_scope(f"other_model_{res.run_id}")


def _run_with(ctx, res, name):
    from gui.app import show_result  # the page's own result view (gui/app imports this module's caller)
    raw = getattr(ctx, "last_input", None)
    scope = f"other_model_{res.run_id}"
    if not raw:
        return
    try:
        out.toast(t("mc_running", ctx.lang, m=name), duration=2)
        # the other model's own input gate applies (a refusal is shown below); the upload was stored already
        new = service.analyse(raw, ctx.file_name, task=res.task, model=name, caller=ctx.caller, store=False)
    except InputError as e:
        with out.use_scope(scope, clear=True):
            put_error_message(ctx.lang, e)
        return
    except SessionException:
        return
    except Exception:  # a bug, not the input: say so and keep the page
        traceback.print_exc()
        ctx.log("other_model", error="internal_error", model=name)
        with out.use_scope(scope, clear=True):
            out.put_error(t("internal_error", ctx.lang))
        return
    ctx.log("other_model", task=res.task, model=name, prediction=new.to_json()["prediction"])
    from gui.app import release_results
    release_results(ctx.shown)  # another model: nothing of the earlier results is shown any more
    show_result(ctx, new)
    ctx.shown.append(new)

