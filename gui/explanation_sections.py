"""The result page's explanations: one section per method the model offers (nets/interpret/attribution.py), the
first shown at once, the others computed on click (in the compute queue) and kept with the result. Each section:
what the colours mean in plain words, the map with its colour bar, the faithfulness check in words, the
randomisation (sanity) check from the model card."""
from __future__ import annotations

import traceback

from pywebio import output as out
from pywebio import pin
from pywebio.exceptions import SessionException

from gui.error_message import put_error_message
from gui.i18n import t
from gui.layout import BAR_WIDTH
from nets import service
from nets.errors import InputError
from nets.interpret.attribution import expected_seconds
from nets.render.colour_scale import bar_has_words, words_for_html
from nets.report.faithfulness_text import faithfulness_sentence
from nets.report.region_names import region_name

TILE_PX = {"mri": 230, "2d": 260}


def put_explanations(ctx, res):
    """Call inside the result scope."""
    cls = res.classes[res.target] if res.target is not None else res.to_json()["prediction"]
    out.put_markdown(f"### {t('expl_title', ctx.lang, c=cls)}")
    out.put_text(t("expl_colours", ctx.lang, c=cls)).style("color:#333")
    for n, method in enumerate(res.model.config.explainers):
        if method == "occlusion" and res.is_volume and not res.on_mni_grid:
            continue
        out.put_markdown(f"#### {t('method_' + method, ctx.lang)}")
        out.put_text(t(_how_key(res, method), ctx.lang, c=cls)).style("color:#555")
        out.put_scope(f"expl_{method}")
        if n == 0 and res.target is not None:
            _show(ctx, res, method, service.explain(res, method, res.target))
        else:
            label = t("expl_run", ctx.lang, m=t("method_" + method, ctx.lang), s=expected_seconds(res.task, method))
            with out.use_scope(f"expl_{method}"):
                out.put_buttons([label], onclick=lambda _, m=method: _compute(ctx, res, m), small=True)


def _how_key(res, method):
    if method == "occlusion":
        return "expl_occlusion_mri" if res.is_volume else f"expl_occlusion_{res.task}"  # what a square is filled with
    return f"expl_{method}"


def _compute(ctx, res, method):
    scope = f"expl_{method}"
    with out.use_scope(scope, clear=True):
        out.put_processbar(f"bar_{method}", 0.0)

    def progress(frac):
        out.set_processbar(f"bar_{method}", frac, label=f"{int(frac * 100)}%")

    try:
        e = service.explain(res, method, res.target, progress=progress,  # slow maps wait in the long lane
                            on_wait=lambda n: out.set_processbar(f"bar_{method}", 0.0,
                                                                 label=t("queue", ctx.lang, n=n)))
    except InputError as err:
        with out.use_scope(scope, clear=True):
            put_error_message(ctx.lang, err)
        return
    except SessionException:  # the tab was closed while it ran
        return
    except Exception:  # a bug, not the input: say so and keep the page
        traceback.print_exc()
        ctx.log("explain", method=method, error="internal_error")
        with out.use_scope(scope, clear=True):
            out.put_error(t("internal_error", ctx.lang))
        return
    ctx.log("explain", task=res.task, method=method, target=e["target"], seconds=sum(e["timings_s"].values()))
    _show(ctx, res, method, e)


def _show(ctx, res, method, e):
    key = (method, res.class_index(e["target"]))
    view = res.view(*key)
    with out.use_scope(f"expl_{method}", clear=True):
        if res.is_volume:
            _volume_gallery(ctx, res, key, view, e["images"]["slices"])
        else:
            px = TILE_PX["2d"]
            out.put_row([out.put_image(view.png(k), width=f"{px}px") for k in ("raw", "heatmap", "merged")]
                        + [out.put_image(view.png("bar", ctx.lang, px), width=BAR_WIDTH)], size="auto auto auto auto")
        if not bar_has_words(ctx.lang):
            a, b = words_for_html(e["signed"], e["target"], ctx.lang)
            out.put_text(t("expl_bar_words", ctx.lang, a=a, b=b))
        _faithfulness_text(ctx, res, e)
        _sanity_text(ctx, e)
        if method == "occlusion" and res.is_volume:
            _occlusion_table(ctx, res, res.class_index(e["target"]))


def _volume_gallery(ctx, res, key, view, slices):
    """Sliders and buttons per plane. The callbacks ask the result for the view at each call (not kept in the
    closure), so a result the session has moved on from (gui/app.release_results) frees its slices."""
    method = key[0]
    for plane in ("axial", "coronal", "sagittal"):
        idx = slices[plane]
        n = view.n_slices(plane)
        word = t(f"plane_{plane}", ctx.lang)
        out.put_markdown(f"**{word}** — {t('slice', ctx.lang)}")
        out.put_scope(f"plane_{method}_{plane}")
        name = f"slider_{method}_{plane}"
        pin.put_slider(name, value=idx[0], min_value=0, max_value=n - 1, step=1)
        out.put_buttons([f"{word} {i}" for i in idx],
                        onclick=[(lambda i=i, p=plane: _set_slice(ctx, res, key, p, i)) for i in idx], small=True)
        pin.pin_on_change(name, onchange=lambda v, p=plane: _show_slice(ctx, res, key, p, v))
        _show_slice(ctx, res, key, plane, idx[0])


def _set_slice(ctx, res, key, plane, i):
    pin.pin[f"slider_{key[0]}_{plane}"] = i
    _show_slice(ctx, res, key, plane, i)


def _show_slice(ctx, res, key, plane, index):
    """Cut from the cached map: no model call here. key: (method, class index)."""
    view, method = res.view(*key), key[0]
    if index is None or view is None:  # None: a result this session has moved on from (see release_results)
        return
    px = TILE_PX["mri"]
    height = round(px * view.aspect(plane))  # no slice drawn just to measure it
    with out.use_scope(f"plane_{method}_{plane}", clear=True):
        out.put_row([out.put_image(view.png_bytes(k, plane, int(index)), width=f"{px}px")
                     for k in ("raw", "heatmap_plain", "merged")]
                    + [out.put_image(view.bar_png(height, ctx.lang), width=BAR_WIDTH)], size="auto auto auto auto")


def _faithfulness_text(ctx, res, e):
    f = e.get("faithfulness")
    if not f:
        return
    verdict, msg = faithfulness_sentence(f, e["target"], res.is_volume, ctx.lang)
    {"better": out.put_success, "not_better": out.put_warning, "no_clear_difference": out.put_info,
     "inconclusive": out.put_info}[verdict](msg)


def _sanity_text(ctx, e):
    s = e.get("sanity")
    if not s:
        return
    r = s["spearman_fully_randomised"]
    if s["flag"]:
        out.put_warning(t("expl_sanity_bad", ctx.lang, r=r))
    else:
        out.put_text(t("expl_sanity_ok", ctx.lang, r=r)).style("color:#555")


def _occlusion_table(ctx, res, tgt):
    occ = service.occlusion(res, tgt)
    c = occ["target"]
    rows = [[t(f"occlusion_{way}", ctx.lang, c=c), f"{x['change']:+.2f}", region_name(x["region"], ctx.lang),
             ", ".join(map(str, x["mni_mm"])), f"{x['ventricle_share']:.0%}", f"{x['medial_temporal_share']:.0%}"]
            for way in ("lower", "raise") for x in occ[way][:3]]
    mode = t("occl_mode_every" if occ["mode"] == "every cube" else "occl_mode_fast", ctx.lang)
    out.put_text(t("occlusion_line", ctx.lang, c=c, lo=occ["log_odds"], n=occ["cubes"], mm=occ["window_mm"],
                   ref=occ["reference"], mode=mode, s=occ["seconds"]))
    out.put_table(rows, header=["", t("occlusion_head", ctx.lang, c=c)]
                  + [t(k, ctx.lang) for k in ("occl_region", "occl_mni", "occl_ventricle", "occl_mtl")])
