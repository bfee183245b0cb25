"""The PyWebIO page: landing, demo / upload, routing, progress, result gallery, logs. Work is done by nets/."""
from __future__ import annotations

import io
import json
import traceback
import uuid
from pathlib import Path

from matplotlib.figure import Figure
from pywebio import output as out
from pywebio import session
from pywebio.exceptions import SessionException
from pywebio.input import actions, file_upload, radio

from gui.compute_queue import lane_for
from gui.explanation_sections import put_explanations
from gui.i18n import t
from gui.visit_log import client_ip, log_event
from gui.uploads import store_upload
from nets.demo_volume import ensure_demo
from nets.errors import InputError, OutOfDistributionError
from nets.io.nifti_loader import MAX_FILE_BYTES, check_header, parse_header
from nets.model_configs import CONFIGS
from nets.predictor import default_predictor, is_volume_bytes, modality_of_image
from nets.registry import REGISTRY
from nets.render.cjk_font import enable_cjk_fallback

enable_cjk_fallback()  # Chinese labels in the server-drawn charts (fonts-wqy-microhei), when installed
ACCEPT = [".nii", ".gz", ".jpg", ".jpeg", ".png", ".dcm"]


class PageContext:
    def __init__(self):
        info = session.info
        self.sid = uuid.uuid4().hex[:12]
        self.ip = client_ip(dict(getattr(info.request, "headers", {}) or {}), getattr(info, "user_ip", ""))
        self.ua = str(getattr(info, "user_agent", ""))[:200] if info.user_agent else ""
        lang = (info.user_language or "en").lower()
        self.lang = "zh" if lang.startswith("zh") else "en"
        self.shown = []  # results on the page now (released when the user moves on, see release_results)

    def log(self, action, **kw):
        try:
            log_event(action, self.sid, self.ip, self.ua, **kw)
        except OSError:
            pass


def probability_chart(probs: dict, lang: str) -> bytes:
    """Server-side PNG bar chart (works offline, no JS chart library)."""
    names = list(probs)
    vals = [probs[k] for k in names]
    fig = Figure(figsize=(5.2, 0.45 * len(names) + 0.8), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    colours = ["#d9534f" if v == max(vals) else "#5b8def" for v in vals]
    ax.barh(names[::-1], vals[::-1], color=colours[::-1])
    for i, v in enumerate(vals[::-1]):
        ax.text(min(v + 0.01, 0.9), i, f"{v:.1%}", va="center", fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability" if lang == "en" else "probability / 概率")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def landing(ctx: PageContext):
    out.clear("page")
    with out.use_scope("page"):
        out.put_row([out.put_markdown(f"# {t('title', ctx.lang)}"),
                     out.put_buttons([t("lang", ctx.lang)], onclick=lambda _: switch_lang(ctx))], size="85% 15%")
        out.put_warning(t("notice", ctx.lang))
        out.put_markdown(t("intro", ctx.lang))
        rows = []
        for task in ("mri", "chest", "skin"):
            m = REGISTRY.get(task=task)
            metr = m.card.get("metrics", {}).get("validation", {})
            ba = metr.get("balanced_accuracy")
            rows.append([t(task, ctx.lang), m.name, m.config.training_data,
                         f"{ba:.3f}" if isinstance(ba, float) else "-",
                         "yes" if m.trained else "NO (untrained)"])
        out.put_collapse(t("tasks", ctx.lang), [out.put_table(
            rows, header=["task", "model", "training data", "val. balanced acc.", "trained"])], open=True)
        out.put_text(t("limit", ctx.lang, mb=MAX_FILE_BYTES // 2**20))


def switch_lang(ctx):
    ctx.lang = "zh" if ctx.lang == "en" else "en"
    landing(ctx)


def choose_input(ctx):
    choice = actions(buttons=[{"label": t("demo", ctx.lang), "value": "demo"},
                              {"label": t("upload", ctx.lang), "value": "upload"}])
    if choice == "demo":
        p = ensure_demo()
        ctx.log("demo")
        return p.read_bytes(), "demo.nii", True
    f = file_upload(t("choose", ctx.lang), accept=ACCEPT, max_size=MAX_FILE_BYTES,
                    help_text=t("limit", ctx.lang, mb=MAX_FILE_BYTES // 2**20))
    if not f:
        return None, None, False
    return f["content"], f["filename"], False


def choose_task(ctx, raw: bytes, name: str = ""):
    low = (name or "").lower()
    if is_volume_bytes(raw) or low.endswith(".nii") or low.endswith(".nii.gz"):
        check_header(parse_header(raw)[0])  # header only: a bad file is refused before any further question
        return "mri"
    from nets.io.image_loader import decode_image, sniff_image_kind
    img = decode_image(raw)  # raises a typed error for bad images
    detected = default_predictor().detect_image_task(raw)  # with the input gates: may be "neither"
    pick = detected if detected != "neither" else ("chest" if sniff_image_kind(raw) == "dicom"
                                                   else modality_of_image(img))
    return radio(t("task_q", ctx.lang), options=[{"label": t("chest", ctx.lang), "value": "chest"},
                                                 {"label": t("skin", ctx.lang), "value": "skin"}],
                 value=pick, help_text=t("detected", ctx.lang, t=t(detected, ctx.lang)))


def choose_mri_model(ctx):
    """Which MRI model, when more than the default one is usable (e.g. the older app's ADNI weights are present)."""
    names = REGISTRY.usable("mri")
    if len(names) < 2:
        return None
    opts = [{"label": f"{n} — {CONFIGS[n].training_data.split(';')[0]}", "value": n} for n in names]
    return radio(t("model_q", ctx.lang), options=opts, value=names[0])


def run_analysis(ctx, raw, task, model=None, force=False):
    out.put_scope("progress", scope="page")
    with out.use_scope("progress"):
        out.put_processbar("bar", 0, label="0%")
        out.put_text(t("reading", ctx.lang)).style("color:#555")

    def progress(step, frac):
        out.set_processbar("bar", frac, label=f"{int(frac * 100)}%")
        with out.use_scope("progress"):
            out.clear("progress_text")
        out.put_text(t(step, ctx.lang), scope="progress").style("color:#555")

    def on_wait(n):
        out.set_processbar("bar", 0.01, label=t("queue", ctx.lang, n=n))

    pred = default_predictor()
    return lane_for(task).run(lambda: pred.predict_bytes(raw, task=task, model=model, progress=progress,
                                                         force=force), on_wait=on_wait)


def prior_text(prior) -> str:
    """The class prior the model answers under (nets/networks/prior_shift.py), as a person reads it."""
    if not prior:
        return "as trained"
    return ", ".join(f"{c} {p:.0%}" for c, p in prior.items()) + " (trained with equal classes; see the model card)"


def show_result(ctx, res):
    j = res.to_json()
    m = res.model
    pred = j["prediction"]
    names = m.config.class_names.get(pred, {})
    out.clear("progress")
    with out.use_scope("result", clear=True):
        put_headline(ctx, j, names)
        if j.get("scope"):
            out.put_info(f"{t('scope', ctx.lang)}: {j['scope'].get(ctx.lang) or j['scope'].get('en')}")
        if m.config.notice:
            out.put_info(m.config.notice)
        if j["decision_prior"]:
            c, p = max(j["decision_prior"].items(), key=lambda kv: kv[1])
            out.put_info(t("prior_note", ctx.lang, c=c, p=p))
        for w in j["warnings"]:
            out.put_warning(f"{t('warning', ctx.lang)}: {w}")
        out.put_markdown(f"### {t('probs', ctx.lang)}")
        if j.get("temperature"):
            out.put_text(t("calibrated", ctx.lang, t=j["temperature"])).style("color:#555")
        out.put_image(probability_chart(j["probabilities"], ctx.lang), format="png")
        put_explanations(ctx, res)
        if j["regions"]:
            out.put_markdown(f"### {t('regions', ctx.lang)}")
            out.put_table([[r["name"], f"{r['share']:.1%}"] for r in j["regions"][:10]], header=["region", "share"])
        out.put_markdown(f"### {t('other_class', ctx.lang)}")
        out.put_buttons([c for c in res.classes], onclick=lambda c: explain_other(ctx, res, c), small=True)
        out.put_markdown(f"### {t('card', ctx.lang)}")
        s = m.summary()
        out.put_table([["model", s["name"]], ["trained", str(s["trained"])], ["training data", s["training_data"]],
                       ["licence", s["licence"]], ["explanation", s["explanation"]],
                       ["input", json.dumps(s["input"], ensure_ascii=False)],
                       ["decision prior", prior_text(s["decision_prior"])],
                       ["sha256", s["sha256"] or "-"], ["date", s["date"] or "-"]])
        out.put_markdown(f"### {t('downloads', ctx.lang)}")
        report = json.dumps(j, indent=2, ensure_ascii=False).encode()
        out.put_row([out.put_file("montage.png", Path(j["images"]["montage"]).read_bytes(), "montage PNG"),
                     out.put_file("report.json", report, "JSON report")], size="auto auto")


def put_headline(ctx, j, names):
    """The answer in one line: the class, or "uncertain between X and Y" when the top two are close."""
    pred = j["prediction"]
    if j.get("uncertain"):
        b = j["runner_up"]
        out.put_markdown(f"## {t('result', ctx.lang)}: **{t('uncertain', ctx.lang, a=pred, b=b)}**")
        out.put_text(t("uncertain_why", ctx.lang, a=pred, b=b, pa=j["probabilities"][pred],
                       pb=j["probabilities"][b])).style("color:#8a6d3b")
        return
    out.put_markdown(f"## {t('result', ctx.lang)}: **{pred}** — {names.get('en', '')} / {names.get('zh', '')}")


def show_refusal(ctx, e, raw, task, model):
    """The input gate said no: say why in plain words, and offer an explicit override."""
    out.clear("progress")
    with out.use_scope("result", clear=True):
        out.put_error(f"{t('refused', ctx.lang)}. {e.message}")
        out.put_text(t("force_hint", ctx.lang))
        out.put_buttons([t("force_button", ctx.lang)], onclick=lambda _: run_forced(ctx, raw, e.task or task, model))


def run_forced(ctx, raw, task, model):
    ctx.log("force", task=task)
    out.remove("progress")  # the refused run's progress scope: run_analysis puts a new one
    try:
        res = run_analysis(ctx, raw, task, model, force=True)
    except InputError as e:
        return show_error(ctx, e)
    except SessionException:
        return
    except Exception:
        traceback.print_exc()
        ctx.log("predict", error="internal_error", size=len(raw))
        with out.use_scope("result", clear=True):
            out.put_error(t("internal_error", ctx.lang))
        return
    show_result(ctx, res)
    again = getattr(ctx, "again", None)
    if again is not None:  # show_result cleared the scope that held the main loop's "analyse another" button
        out.put_buttons([t("again", ctx.lang)], onclick=lambda _: again.set(), scope="result")


def explain_other(ctx, res, cls):
    pred = default_predictor()
    new = lane_for(res.task).run(lambda: pred.explain_class(res, cls))
    ctx.log("explain_class", task=res.task, target=cls)
    show_result(ctx, new)
    ctx.shown.append(new)
    release_results(ctx.shown[:-1], keep_cache=True)  # the class shown before: its slices can no longer be asked


def show_error(ctx, e: InputError):
    out.clear("progress")
    with out.use_scope("result", clear=True):
        out.put_error(f"{t('error', ctx.lang)}: {e.message}")


def release_results(results, keep_cache=False):
    """Drop what a result holds for its page (slice renderer; unless keep_cache, the model input and occlusion maps,
    which another class's explanation shares). PyWebIO keeps a session's callbacks, and the results they refer to,
    until the tab closes: without this, every analysis of a long session stayed in memory (7.6 MB per MRI result:
    renderer 4.7 MB, model input 2.9 MB; 0.4 MB per 2D result)."""
    for r in results:
        r.renderer = None
        if not keep_cache:
            r._cache = {}


def wait_for_again(ctx) -> bool:
    """An 'analyse another' button inside the result (the floating input panel would cover the chart)."""
    import threading
    ev = ctx.again = threading.Event()
    out.put_buttons([t("again", ctx.lang)], onclick=lambda _: ev.set(), scope="result")
    sess = session.get_current_session()
    while not ev.wait(0.5):
        if sess.closed():
            return False
    return True


def main():
    """Entry point for each browser session."""
    session.set_env(title="Explainable medical image recognition", output_animation=False)
    ctx = PageContext()
    ctx.log("visit")
    out.put_scope("page")
    landing(ctx)
    out.put_scope("result")
    while True:
        raw, name, is_demo = choose_input(ctx)
        if raw is None:
            continue
        try:
            task = choose_task(ctx, raw, name)
            model = choose_mri_model(ctx) if task == "mri" and not is_demo else None
            ticket = store_upload(raw, task)
            ctx.log("upload", input_type=ticket["kind"], size=len(raw), sha256=ticket["sha256"], task=task,
                    model=model)
            res = run_analysis(ctx, raw, task, model)
            j = res.to_json()
            ctx.log("predict", task=j["task"], input_type=j["input"].get("kind"), size=len(raw),
                    sha256=j["input"].get("sha256"), prediction=j["prediction"], timings=j["timings_s"])
            show_result(ctx, res)
            ctx.shown.append(res)
        except OutOfDistributionError as e:
            ctx.log("predict", error=e.code, size=len(raw))
            show_refusal(ctx, e, raw, task, model)
        except InputError as e:
            ctx.log("predict", error=e.code, size=len(raw))
            show_error(ctx, e)
        except Exception:  # a bug, not the input: say so, keep this session (and the server) going
            traceback.print_exc()
            ctx.log("predict", error="internal_error", size=len(raw))
            out.clear("progress")
            with out.use_scope("result", clear=True):
                out.put_error(t("internal_error", ctx.lang))
        again = wait_for_again(ctx)
        release_results(ctx.shown)  # the page shows it no more: its volumes go now, not when the tab closes
        ctx.shown = []
        if not again:
            return  # tab closed: end this session's thread
        out.clear("result")
