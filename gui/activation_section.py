"""The result page's layer-activation section ("what each layer sees"), collapsed: a button computes the feature
maps once per result (nets/interpret/activations.py; kept in the result's cache), then one picture per layer with a
sentence on what such a layer responds to, in the page's language."""
from __future__ import annotations

import io
import traceback

from pywebio import output as out
from pywebio.exceptions import SessionException

from gui.compute_queue import lane_for
from gui.i18n import t
from nets.interpret.activations import result_activations, stage_text
from nets.render.activation_grid import stage_grid


def put_activations(ctx, res):
    """Call inside the result scope."""
    scope = f"activations_{res.run_id}"
    body = [out.put_text(t("act_intro", ctx.lang)).style("color:#555"), out.put_scope(scope)]
    out.put_collapse(t("act_title", ctx.lang), body, open=False)
    with out.use_scope(scope):
        out.put_buttons([t("act_run", ctx.lang)], onclick=lambda _: _show(ctx, res, scope), small=True)


def _show(ctx, res, scope):
    try:
        acts = lane_for(res.task).run(lambda: result_activations(res))
    except SessionException:
        return
    except Exception:  # a bug, not the input: say so and keep the page
        traceback.print_exc()
        ctx.log("activations", error="internal_error")
        with out.use_scope(scope, clear=True):
            out.put_error(t("internal_error", ctx.lang))
        return
    ctx.log("activations", task=res.task)
    with out.use_scope(scope, clear=True):
        out.put_text(t("act_scaling", ctx.lang)).style("color:#555")
        for s in acts.stages:
            out.put_markdown(f"**{s.name}** ({'x'.join(map(str, s.shape[1:]))}, {s.shape[0]} {t('act_channels', ctx.lang)})")
            out.put_text(stage_text(s.name, ctx.lang))
            buf = io.BytesIO()
            stage_grid(s).save(buf, format="PNG")
            out.put_image(buf.getvalue(), format="png")
