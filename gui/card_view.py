"""The model card and the model table in plain words (nets/report/model_card_text.py), in the page's language."""
from __future__ import annotations

from pywebio import output as out

from gui.i18n import t
from nets.model_configs import TASKS
from nets.registry import REGISTRY
from nets.report.model_card_text import card_rows, plain_field, quality_text


def put_model_card(ctx, model, open_: bool = False):
    """Collapsed by default: details on demand (the sha256 only lives here)."""
    rows = [[label, value] for label, value in card_rows(model.summary(), ctx.lang)]
    return out.put_collapse(t("card", ctx.lang), [out.put_table(rows)], open=open_)


def model_table(ctx):
    """The landing's table of the three tasks' default models (collapsed: the landing stays compact)."""
    rows = []
    for task in TASKS:
        m = REGISTRY.get(task=task)
        s = m.summary()
        rows.append([t(task, ctx.lang), m.name, plain_field(m.name, "data", ctx.lang, m.config.training_data),
                     quality_text(s, ctx.lang), t("ready", ctx.lang) if m.trained else t("not_ready", ctx.lang)])
    header = [t(k, ctx.lang) for k in ("col_task", "col_model", "col_data", "col_quality", "col_status")]
    return out.put_collapse(t("tasks", ctx.lang), [out.put_table(rows, header=header)], open=False)
