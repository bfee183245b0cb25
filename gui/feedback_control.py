"""The result page's feedback control: "this answer is right" or "it should be ..." (a select of the task's classes).
Nothing is stored without that click; one click stores one line and (once) the input, under feedback/
(nets/feedback/store.py), and the control is replaced by a thank-you, so a second click cannot double it."""
from __future__ import annotations

import hashlib

from pywebio import output as out
from pywebio import pin

from gui.error_message import put_error_message
from gui.i18n import t
from nets.errors import InputError


def put_feedback(ctx, res):
    """Call inside the result scope. ctx.last_input: the bytes the result was computed from (gui/app.run_analysis)."""
    scope, select = f"feedback_{res.run_id}", f"feedback_label_{res.run_id}"
    out.put_markdown(f"#### {t('fb_title', ctx.lang)}")
    out.put_scope(scope)
    pred = res.to_json()["prediction"]
    others = [c for c in res.classes if c != pred] or list(res.classes)
    with out.use_scope(scope):
        out.put_text(t("fb_help", ctx.lang)).style("color:#555")
        out.put_row([
            out.put_buttons([{"label": t("fb_right", ctx.lang), "value": "right", "color": "success"}],
                            onclick=lambda _: _send(ctx, res, pred, scope), small=True),
            pin.put_select(select, options=[{"label": c, "value": c} for c in others], value=others[0]),
            out.put_buttons([{"label": t("fb_should", ctx.lang), "value": "should", "color": "warning"}],
                            onclick=lambda _: _send(ctx, res, pin.pin[select], scope), small=True),
        ], size="max-content 170px max-content")


def _send(ctx, res, label, scope):
    from nets.feedback.store import record_feedback
    raw = getattr(ctx, "last_input", None)
    if not raw or hashlib.sha256(raw).hexdigest() != res.input_info.get("sha256"):
        with out.use_scope(scope, clear=True):
            out.put_error(t("fb_gone", ctx.lang))
        return
    j = res.to_json()
    try:
        line = record_feedback(raw, run_id=res.run_id, task=res.task, model=res.model.name,
                               prediction=j["prediction"], label=label, classes=res.classes, source="page")
    except InputError as e:  # a bad label, or the store is full: say so, store nothing
        with out.use_scope(scope, clear=True):
            put_error_message(ctx.lang, e)
        return
    ctx.log("feedback", task=res.task, agrees=line["agrees"])
    with out.use_scope(scope, clear=True):
        out.put_success(t("fb_thanks", ctx.lang, label=line["label"]))
