"""One result as a printable PDF (fpdf2: pure Python, embeds TrueType fonts incl. a CJK .ttc, images from PNG).

Holds the answer, the probabilities, the key images with their colour bars, the explanation's faithfulness when the
result has it, the model card in plain words, the input's sha256 and size (never a file name or path), the date and
the not-a-medical-device notice, in English or Chinese. Chinese needs a CJK font (nets/render/cjk_font.py); without
one the report is written in English and says why.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from fpdf import FPDF

from nets.render.cjk_font import LATIN_FILES, cjk_font_path
from nets.render.probability_chart import probability_chart
from nets.report.faithfulness_text import faithfulness_sentence
from nets.report.model_card_text import card_rows, limits_sentence
from nets.report.texts import tr
from nets.report.warning_text import warning_text

PAGE_W = 180  # mm of usable width on A4 with 15 mm margins


def _pdf(lang: str) -> tuple[FPDF, str, bool]:
    """(pdf, font family, unicode?) with a font that can write `lang`."""
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, 15)
    cjk = cjk_font_path()
    if lang == "zh" and cjk:
        pdf.add_font("cjk", "", cjk, collection_font_number=0)
        return pdf, "cjk", True
    latin = next((p for p in LATIN_FILES if Path(p).exists()), None)
    if latin:
        pdf.add_font("latin", "", latin)
        return pdf, "latin", True
    return pdf, "helvetica", False


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def answer_line(j: dict, lang: str) -> str:
    """The class code, its name and probability; "uncertain between X and Y" (the result's headline) when unsure."""
    head = j.get("headline")
    if j.get("uncertain") and isinstance(head, dict) and (head.get(lang) or head.get("en")):
        return head.get(lang) or head["en"]
    pred = j["prediction"]
    p = (j.get("probabilities") or {}).get(pred)
    return f"{pred}: {(j.get('prediction_name') or {}).get(lang, '')}".rstrip(": ") + (f" ({p:.0%})" if p else "")


def key_images(images: dict) -> list:
    """[(raw, heatmap, merged)] paths: the top slice of each plane (MRI), or the one 2D image."""
    kinds = ("raw", "heatmap", "merged")
    if not all(isinstance(images.get(k), list) and images[k] for k in kinds):
        return []
    n = len(images["raw"])
    step = 3 if n >= 9 else n  # render_gallery writes 3 slices per plane, planes in order
    return [tuple(images[k][i] for k in kinds) for i in range(0, n, step)][:3]


def faithfulness_lines(j: dict, lang: str = "en") -> list:
    """One sentence per explanation with a check, in the report's language (the page's words)."""
    is_volume = j.get("task") == "mri"
    return [f"{tr('method_' + str(e.get('method')), lang)}: "
            + faithfulness_sentence(e["faithfulness"], e.get("target", ""), is_volume, lang)[1]
            for e in j.get("explanations") or [] if isinstance(e.get("faithfulness"), dict)
            and "verdict" in e["faithfulness"]]


class _Writer:
    def __init__(self, pdf, family, unicode_ok):
        self.pdf, self.family, self.unicode_ok = pdf, family, unicode_ok

    def text(self, s, size=10, h=5.5, colour=(0, 0, 0)):
        if not self.unicode_ok:
            s = s.encode("latin-1", "replace").decode("latin-1")
        self.pdf.set_font(self.family, size=size)
        self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(PAGE_W, h, s, new_x="LMARGIN", new_y="NEXT")

    def heading(self, s):
        self.pdf.ln(2)
        self.text(s, size=13, h=7, colour=(20, 60, 120))

    def image(self, data, w):
        src = io.BytesIO(data) if isinstance(data, bytes) else str(data)
        self.pdf.image(src, w=w)


def pdf_report(j: dict, summary: dict, lang: str = "en", class_names: dict | None = None,
               when: dt.datetime | None = None) -> bytes:
    """j: Result.to_json() (image paths still on this server); summary: LoadedModel.summary();
    class_names: class -> {"en", "zh"} (ModelConfig.class_names)."""
    fell_back = lang == "zh" and cjk_font_path() is None
    lang = "en" if fell_back else lang
    pdf, family, unicode_ok = _pdf(lang)
    pdf.add_page()
    w = _Writer(pdf, family, unicode_ok)
    w.text(tr("title", lang), size=16, h=9)
    if fell_back:
        w.text(tr("no_cjk", "en"), size=9, colour=(120, 80, 0))
    w.text(tr("notice", lang), size=11, h=6, colour=(170, 30, 30))
    when = when or dt.datetime.now(dt.timezone.utc)
    w.text(f"{tr('date', lang)}: {when:%Y-%m-%d %H:%M}    {tr('run', lang)}: {j.get('run_id', '-')}", size=9)
    inp = j.get("input") or {}
    w.heading(tr("input", lang))
    w.text(f"{tr('kind', lang)}: {inp.get('kind', '-')}    {tr('size', lang)}: "
           f"{human_size(int(inp.get('bytes') or 0))}", size=9)
    w.text(f"sha256: {inp.get('sha256', '-')}", size=8)
    w.heading(tr("answer", lang))
    w.text(answer_line(j, lang), size=14, h=8)
    for warning in j.get("warnings") or []:
        w.text(f"{tr('warnings', lang)}: {warning_text(warning, lang)}", size=9, colour=(140, 90, 0))
    w.heading(tr("probs", lang))
    if j.get("temperature"):
        w.text(tr("calibrated_top" if j.get("top_label_calibrated") else "calibrated", lang, t=j["temperature"]),
               size=9)
    w.image(probability_chart(j["probabilities"], lang, class_names), 120)
    if j.get("brain_age_sentence"):  # MRI: estimated brain age (and the gap when the age was given)
        w.text(j["brain_age_sentence"].get(lang) or j["brain_age_sentence"]["en"], size=10)
    if (j.get("age_reference") or {}).get("sentence"):  # MRI with a stated age: how it graded the stage
        w.text(j["age_reference"]["sentence"].get(lang) or j["age_reference"]["sentence"]["en"], size=9)
    if (j.get("edge_check") or {}).get("sentence"):  # skin: the answer held without the photo's edge
        w.text(j["edge_check"]["sentence"][lang], size=9)
    _images_section(w, j, summary, lang)
    w.heading(tr("card", lang))
    for label, value in card_rows(summary, lang):
        w.text(f"{label}: {value}", size=9, h=5)
    limits = limits_sentence(summary["name"], lang)
    if limits:
        w.text(f"{tr('limits', lang)}: {limits}", size=10, colour=(120, 40, 40))
    w.text(tr("notice", lang), size=10, colour=(170, 30, 30))
    return bytes(pdf.output())


def _images_section(w, j, summary, lang):
    rows = key_images(j.get("images") or {})
    if not rows:
        return
    w.heading(tr("images", lang))
    if j.get("explained_class"):
        w.text(tr("explained", lang, c=j["explained_class"]), size=9)
    for row in rows:
        y = w.pdf.get_y()
        if y > 230:
            w.pdf.add_page()
            y = w.pdf.get_y()
        x, h_max = 15, 0
        for p in row:
            from PIL import Image
            with Image.open(p) as im:
                iw, ih = im.size
            width = 50 * iw / max(ih, 1) if iw > ih * 1.1 else 50  # heatmaps carry a colour bar on the right
            width = min(width, 70)
            w.pdf.image(str(p), x=x, y=y, w=width)
            x += width + 2
            h_max = max(h_max, width * ih / iw)
        w.pdf.set_y(y + h_max + 2)
    if j.get("relevance_conservation") is not None:
        w.text(tr("conservation", lang, r=j["relevance_conservation"]), size=8)
    lines = faithfulness_lines(j, lang)
    if lines:
        w.text(tr("faithfulness", lang), size=10)
        for line in lines:
            w.text(line, size=8)


def result_pdf(res, lang: str = "en") -> bytes:
    """The PDF report of a nets.predictor.Result."""
    return pdf_report(res.to_json(), res.model.summary(), lang, res.model.config.class_names)
