"""The PyWebIO page: landing, demo / upload, routing, progress, result gallery, logs. Work is done by nets/."""
from __future__ import annotations

import queue
import threading
import traceback
import uuid

from pywebio import output as out
from pywebio import pin, session
from pywebio.exceptions import SessionException

from gui.batch_page import run_batch
from gui.card_view import model_table, put_model_card
from gui.downloads import put_downloads
from gui.error_message import put_error_message
from gui.examples import EXAMPLES, available, load_example
from gui.explanation_sections import put_explanations
from gui.i18n import t
from gui.questions import ask, mri_model_label, relabel_question
from gui.layout import ProgressLine, put_page_style, scroll_into_view, submit_label_style
from nets import service
from gui.result_extras import put_result_extras
from nets.errors import InputError, OutOfDistributionError
from nets.heap_trim import trim_heap
from nets.inference.brain_age import parse_age
from nets.io.nifti_loader import MAX_FILE_BYTES
from nets.registry import REGISTRY
from nets.service.visit_log import client_ip, log_event
from nets.render.cjk_font import enable_cjk_fallback
from nets.render.probability_chart import CHART_WIDTH_PX, probability_chart
from nets.report.model_card_text import model_notice, plain_field
from nets.report.region_names import region_name
from nets.report.warning_text import warning_text

enable_cjk_fallback()  # Chinese labels in the server-drawn charts (fonts-wqy-microhei), when installed
ACCEPT = [".nii", ".gz", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".dcm"]


class PageContext:
    def __init__(self):
        info = session.info
        self.sid = uuid.uuid4().hex[:12]
        self.ip = client_ip(dict(getattr(info.request, "headers", {}) or {}), getattr(info, "user_ip", ""))
        self.ua = str(getattr(info, "user_agent", ""))[:200] if info.user_agent else ""
        lang = (info.user_language or "en").lower()
        self.lang = "zh" if lang.startswith("zh") else "en"
        self.state = "choose"  # choose | upload | busy | result: what the landing shows under the intro
        self.choices = queue.Queue()  # clicks on the landing's buttons, read by the main loop
        self.view = None  # redraws the result (or batch table) now shown, e.g. after a language switch
        self.again = None  # set by "analyse another"
        self.file_name = ""
        self.known_task = None  # an example's task: no question asked
        self.age = None  # the person's age as typed with an MRI upload (optional): brain-age gap
        self.progress = None  # the progress line of the work now running (gui/layout.ProgressLine)
        self.question = None  # the open question's words as a function of the language (ask)
        self.shown = []  # results on the page now (released when the user moves on, see release_results)
        self.explaining = threading.Lock()  # one "explain another class" at a time: a double click runs it once
        self.caller = service.Caller("page", "predict", self.sid, self.ip, self.ua)  # for the service's log lines

    def log(self, action, **kw):
        try:
            log_event(action, self.sid, self.ip, self.ua, **kw)
        except OSError:
            pass


def landing(ctx: PageContext):
    """Title, language, notice, intro, the examples / upload buttons, the model table (collapsed: compact)."""
    out.clear("page")
    with out.use_scope("page"):
        out.put_buttons([t("lang", ctx.lang)], onclick=lambda _: switch_lang(ctx)).style(
            "float: right; margin: 12px 0 0 8px")  # floats beside the title, also on a phone
        out.put_markdown(f"# {t('title', ctx.lang)}")
        style = submit_label_style(ctx.lang)  # redrawn with the landing on a language switch
        if style:
            out.put_html(style)
        out.put_warning(t("notice", ctx.lang))
        out.put_markdown(t("intro", ctx.lang))
        out.put_scope("choices")
        model_table(ctx)
    with out.use_scope("credit", clear=True):  # PyWebIO's own footer is English only (hidden by PAGE_CSS)
        out.put_html(f'<p class="xai-credit">{t("credit", ctx.lang)}</p>')
    draw_choices(ctx)


def draw_choices(ctx):
    """What the landing offers in this state: the buttons, the upload form, or nothing while a result is shown."""
    with out.use_scope("choices", clear=True):
        if ctx.state == "choose":
            out.put_text(t("examples", ctx.lang))
            buttons = [{"label": t(EXAMPLES[k][0], ctx.lang), "value": k} for k in available()]
            buttons.append({"label": t("upload", ctx.lang), "value": "upload", "color": "secondary"})
            out.put_buttons(buttons, onclick=ctx.choices.put)
        elif ctx.state == "upload":
            pin.put_file_upload("files", label=t("pick_files", ctx.lang), accept=ACCEPT + [".zip"], multiple=True,
                                max_size=MAX_FILE_BYTES, placeholder=t("pick_files", ctx.lang),
                                help_text=t("upload_help", ctx.lang) + " " +
                                t("limit", ctx.lang, mb=MAX_FILE_BYTES // 2**20))
            pin.put_input("age", label=t("age_field", ctx.lang), placeholder=t("age_placeholder", ctx.lang))
            out.put_buttons([{"label": t("start", ctx.lang), "value": "start"},
                             {"label": t("back", ctx.lang), "value": "back", "color": "secondary"}],
                            onclick=ctx.choices.put)
            out.put_scope("upload_hint")


def switch_lang(ctx):
    """Redraw everything now on the page in the other language (landing and the current result)."""
    ctx.lang = "zh" if ctx.lang == "en" else "en"
    landing(ctx)
    if ctx.view is not None:
        ctx.view()
    if ctx.progress is not None:  # work in progress: its current step in the new language
        ctx.progress.redraw()
    relabel_question(ctx)


def next_choice(ctx):
    """The next click on the landing's buttons; None once the tab is closed."""
    sess = session.get_current_session()
    while True:
        try:
            return ctx.choices.get(timeout=0.5)
        except queue.Empty:
            if sess.closed():
                return None


def choose_input(ctx):
    """(bytes, name, is_demo) for one input, a list of uploaded files for several, or None when the tab closed."""
    ctx.state = "choose"
    draw_choices(ctx)
    while True:
        choice = next_choice(ctx)
        if choice is None:
            return None
        if choice in EXAMPLES:
            raw, name, ctx.known_task = load_example(choice)
            ctx.age = None
            ctx.log("demo" if choice == "demo" else "example", input_type=choice)
            ctx.state = "busy"
            draw_choices(ctx)
            return raw, name, True  # an example runs each task's default model, as demo.nii always did
        if choice in ("upload", "back"):
            ctx.state = "upload" if choice == "upload" else "choose"
            draw_choices(ctx)
            scroll_into_view("choices")
            continue
        files = pin.pin["files"] or []  # "start"
        files = files if isinstance(files, list) else [files]
        if not files:
            with out.use_scope("upload_hint", clear=True):
                out.put_error(t("no_file", ctx.lang))
            continue
        try:  # a typo in the optional age is shown here, keeping the chosen file (not after the upload)
            parse_age(pin.pin["age"])
        except InputError as e:
            with out.use_scope("upload_hint", clear=True):
                put_error_message(ctx.lang, e)
            continue
        ctx.state, ctx.known_task, ctx.age = "busy", None, pin.pin["age"]
        draw_choices(ctx)
        if len(files) == 1 and not files[0]["filename"].lower().endswith(".zip"):
            return files[0]["content"], files[0]["filename"], False
        return files


def choose_task(ctx, where):
    """The task of a routed input (nets/io/routing.py): a volume is MRI; for a 2D image the user confirms the
    modality check's pick (with the input gates: may say "neither")."""
    if where.task == "mri":
        return "mri"
    detected = service.detect_image_task(where)
    pick = detected if detected != "neither" else where.task
    return ask(ctx, lambda: {"title": t("task_q", ctx.lang),
                             "options": {"chest": t("chest", ctx.lang), "skin": t("skin", ctx.lang)},
                             "help": t("detected", ctx.lang, t=t(detected, ctx.lang))}, pick)


def choose_mri_model(ctx):
    """Which MRI model, when more than the default one is usable (e.g. the older app's ADNI weights are present)."""
    names = REGISTRY.usable("mri")
    if len(names) < 2:
        return None
    return ask(ctx, lambda: {"title": t("model_q", ctx.lang),
                             "options": {n: mri_model_label(n, ctx.lang) for n in names}, "help": ""}, names[0])


def run_analysis(ctx, raw, where, model=None, force=False, store=True):
    """The service's analysis of a routed input, with the progress line (step, bar, place in the queue)."""
    line = ProgressLine(ctx)
    ctx.last_input = raw  # what the feedback control keeps when the user says the answer is right or wrong
    try:
        return service.analyse(raw, ctx.file_name, model=model, where=where, force=force, caller=ctx.caller,
                               progress=line.step, on_wait=line.waiting, store=store, age=ctx.age)
    finally:
        line.done()


def show_result(ctx, res, focus="result"):
    """The answer first, then how sure, the pictures, what they show, the limits; details (card) collapsed.
    focus: the scope brought into view afterwards ("explanation" after explaining another class)."""
    j = res.to_json()
    m = res.model
    pred = j["prediction"]
    names = m.config.class_names.get(pred, {})
    out.clear("progress")
    ctx.view = lambda: show_result(ctx, res, focus=None)
    with out.use_scope("result", clear=True):
        put_again(ctx)
        put_headline(ctx, j, names)
        if ctx.file_name:
            out.put_text(f"{t('file', ctx.lang)}: {ctx.file_name} · {t('col_model', ctx.lang)}: {m.name}"
                         ).style("color:#555")
        if j.get("scope"):
            out.put_info(f"{t('scope', ctx.lang)}: {j['scope'].get(ctx.lang) or j['scope'].get('en')}")
        if m.config.notice:
            out.put_info(model_notice(m.name, m.config.notice, ctx.lang))
        put_operating_point(ctx, m, j)
        for w in j["warnings"]:
            out.put_warning(f"{t('warning', ctx.lang)}: {warning_text(w, ctx.lang)}")
        out.put_markdown(f"### {t('probs', ctx.lang)}")
        if j.get("temperature"):
            key = "calibrated_top" if j.get("top_label_calibrated") else "calibrated"
            out.put_text(t(key, ctx.lang, t=j["temperature"])).style("color:#555")
        out.put_image(probability_chart(j["probabilities"], ctx.lang, m.config.class_names), format="png",
                      width=f"{CHART_WIDTH_PX}px")  # drawn at twice that: sharp on phones
        put_brain_age(ctx, j)
        put_edge_check(ctx, j)
        out.put_scope("explanation")  # brought into view after "explain another class"
        with out.use_scope("explanation"):
            put_explanations(ctx, res)
        if not j.get("scope"):  # the result's own scope sentence (input gates), when it has one, says the same
            out.put_info(f"{t('limits', ctx.lang)}: {plain_field(m.name, 'limits', ctx.lang, m.config.notice)}")
        if j["regions"]:
            out.put_markdown(f"### {t('regions', ctx.lang)}")
            out.put_table([[region_name(r["name"], ctx.lang), f"{r['share']:.1%}"] for r in j["regions"][:10]],
                          header=[t("col_region", ctx.lang), t("col_share", ctx.lang)])
        out.put_markdown(f"### {t('other_class', ctx.lang)}")
        out.put_buttons([c for c in res.classes], onclick=lambda c: explain_other(ctx, res, c), small=True)
        put_result_extras(ctx, res)  # layer activations, feedback, other models (issue 23)
        put_model_card(ctx, m)
        out.put_markdown(f"### {t('downloads', ctx.lang)}")
        put_downloads(ctx, res)
        put_again(ctx)
    if focus:
        scroll_into_view(focus)


def put_edge_check(ctx, j):
    """Skin: the answer held without the photo's edge (when it did not, a warning above says so)."""
    sentence = (j.get("edge_check") or {}).get("sentence")
    if sentence:
        out.put_text(sentence[ctx.lang]).style("color:#555")


def put_brain_age(ctx, j):
    """MRI: the estimated brain age (and the gap to the stated age), with the data it was validated on."""
    if j.get("brain_age_sentence"):
        out.put_markdown(f"### {t('brain_age', ctx.lang)}")
        out.put_text(j["brain_age_sentence"][ctx.lang]).style("font-weight:bold")
        out.put_text(t("brain_age_note", ctx.lang, mae=j["brain_age"]["validation_mae"],
                                       n=j["brain_age"]["n_training"])).style("color:#555")
    ref = j.get("age_reference")
    if ref:
        out.put_text(ref["sentence"][ctx.lang]).style("color:#555")


def put_again(ctx):
    """'analyse another': at the top and the bottom of every result, and in every message, so there is always a
    way on."""
    if ctx.again is not None:
        out.put_buttons([{"label": t("again", ctx.lang), "value": "again", "color": "success"}],
                        onclick=lambda _: ctx.again.set())


def put_operating_point(ctx, m, j):
    """How the model decides, when its card sets it: a decision threshold (chest) or a class prior (MRI)."""
    th = m.card.get("decision_threshold")
    if th:
        out.put_info(t("threshold_note", ctx.lang, c=th["class"], p=th["threshold"], s=th["target_sensitivity"]))
    elif j["decision_prior"]:
        c, p = max(j["decision_prior"].items(), key=lambda kv: kv[1])
        out.put_info(t("prior_note", ctx.lang, c=c, p=p))


def put_headline(ctx, j, names):
    """The answer in one line: the class, or "uncertain between X and Y" when the top two are close."""
    pred = j["prediction"]
    if j.get("uncertain"):
        b = j["runner_up"]
        out.put_markdown(f"## {t('result', ctx.lang)}: **{t('uncertain', ctx.lang, a=pred, b=b)}**")
        out.put_text(t("uncertain_why", ctx.lang, a=pred, b=b, pa=j["probabilities"][pred],
                       pb=j["probabilities"][b])).style("color:#8a6d3b")
        return
    out.put_markdown(f"## {t('result', ctx.lang)}: **{pred}** — {names.get(ctx.lang) or names.get('en', '')}")


def show_refusal(ctx, e, raw, where, model):
    """The input gate said no: say why in plain words, and offer an explicit override."""
    out.clear("progress")
    ctx.view = lambda: show_refusal(ctx, e, raw, where, model)  # redrawn when the language changes
    with out.use_scope("result", clear=True):
        put_error_message(ctx.lang, e, f"{t('refused', ctx.lang)}. ")
        out.put_text(t("force_hint", ctx.lang))
        out.put_buttons([t("force_button", ctx.lang)], onclick=lambda _: run_forced(ctx, raw, where.chosen(e.task or where.task), model))
        put_again(ctx)


def run_forced(ctx, raw, where, model):
    ctx.log("force", task=where.task)
    try:
        res = run_analysis(ctx, raw, where, model, force=True, store=False)  # stored before the refusal
    except InputError as e:
        return show_error(ctx, e)
    except SessionException:
        return
    except service.InternalError:  # printed and logged by the service
        return show_internal_error(ctx)
    show_result(ctx, res)  # with its own "analyse another" buttons (the main loop's ctx.again)
    ctx.shown.append(res)


def explain_other(ctx, res, cls):
    """Explain another class: everything else stays (and "analyse another"), the new pictures come into view."""
    if not ctx.explaining.acquire(blocking=False):  # callbacks run in their own threads: clicks would overlap
        return
    try:
        out.toast(t("explaining_class", ctx.lang, c=cls), duration=2)
        new = service.explain_class(res, cls)
        ctx.log("explain_class", task=res.task, target=cls)
        show_result(ctx, new, focus="explanation")
        ctx.shown.append(new)
        release_results(ctx.shown[:-1], keep_cache=True)  # the class shown before: its slices can't be asked
    finally:
        ctx.explaining.release()


def show_internal_error(ctx):
    """A bug, not the input: say so; this session (and the server) keep going."""
    out.clear("progress")
    ctx.view = lambda: show_internal_error(ctx)
    with out.use_scope("result", clear=True):
        out.put_error(t("internal_error", ctx.lang))
        put_again(ctx)


def show_error(ctx, e: InputError):
    out.clear("progress")
    ctx.view = lambda: show_error(ctx, e)
    with out.use_scope("result", clear=True):
        put_error_message(ctx.lang, e, f"{t('error', ctx.lang)}: ")
        put_again(ctx)
    scroll_into_view("result")


def release_results(results, keep_cache=False):
    """Drop what a result holds for its page (nets/result.py Result.release: the slice view; unless keep_cache, the
    model input and occlusion maps, which another class's explanation shares). PyWebIO keeps a session's callbacks,
    and the results they refer to, until the tab closes: without this, every analysis of a long session stayed in
    memory (7.6 MB per MRI result: renderer 4.7 MB, model input 2.9 MB; 0.4 MB per 2D result)."""
    for r in results:
        r.release(keep_shared=keep_cache)
    if results:
        trim_heap()  # what they held goes back to the OS, not only to this process's heap


def wait_for_again(ctx) -> bool:
    """Wait for 'analyse another' (every view draws its own button, so a language switch redraws it too)."""
    sess = session.get_current_session()
    while not ctx.again.wait(0.5):
        if sess.closed():
            return False
    return True


def back_to_start(ctx):
    out.clear("result")
    ctx.view = None
    scroll_into_view("page")


def analyse_one(ctx, raw, name, is_demo) -> bool:
    """One input through the service: routed (and refused at once when bad) before any question, then the task and
    model questions, then the analysis; the answer, the gate's refusal or the error is shown. False: tab closed."""
    where, model = None, None
    try:
        where = service.prepare(raw, name, ctx.known_task, caller=ctx.caller, store=False)
        task = ctx.known_task or choose_task(ctx, where)
        model = choose_mri_model(ctx) if task == "mri" and not is_demo else None
        where = where.chosen(task, model)  # a refusal's "analyse anyway" runs the same choice
        res = run_analysis(ctx, raw, where, model)
        show_result(ctx, res)
        ctx.shown.append(res)
    except OutOfDistributionError as e:
        show_refusal(ctx, e, raw, where, model)
    except InputError as e:
        show_error(ctx, e)
    except SessionException:
        return False
    except service.InternalError:  # a bug, not the input (printed and logged by the service): say so, go on
        show_internal_error(ctx)
    except Exception:  # a bug on the page itself: the same policy
        traceback.print_exc()
        ctx.log("predict", error="internal_error", size=len(raw))
        show_internal_error(ctx)
    return True


def main():
    """Entry point for each browser session."""
    session.set_env(title="Explainable medical image recognition", output_animation=False)
    ctx = PageContext()
    ctx.log("visit")
    put_page_style()
    out.put_scope("page")
    out.put_scope("progress")
    out.put_scope("result")
    out.put_scope("credit")
    landing(ctx)
    while True:
        ctx.again, ctx.view = threading.Event(), None
        picked = choose_input(ctx)
        if picked is None:
            return  # tab closed: end this session's thread
        if isinstance(picked, list):  # several files (or a .zip): the batch table
            run_batch(ctx, picked)
            if not wait_for_again(ctx):
                return
            back_to_start(ctx)
            continue
        raw, name, is_demo = picked
        ctx.file_name = name
        if not analyse_one(ctx, raw, name, is_demo):
            return  # tab closed while a question was asked
        again = wait_for_again(ctx)
        release_results(ctx.shown)  # the page shows it no more: its volumes go now, not when the tab closes
        ctx.shown = []
        if not again:
            return  # tab closed: end this session's thread
        back_to_start(ctx)
