"""The class-probability bar chart as a PNG (server-drawn: works offline, no JS chart library), in English or Chinese.

Every text in the figure uses nets.render.cjk_font's font for Chinese, so no glyph is drawn as an empty box.
"""
from __future__ import annotations

import io

from matplotlib.figure import Figure

from nets.render.cjk_font import font_properties, has_cjk_font

AXIS_LABEL = {"en": "probability", "zh": "概率"}
CHART_WIDTH_PX = 500  # as the page shows it; drawn at DPI_SCALE x that, so phones (2-3 device pixels per CSS pixel)
DPI_SCALE = 2         # and the PDF get sharp text


def chart_figure(probs: dict, lang: str = "en", names: dict | None = None) -> Figure:
    """probs: class -> probability; names: class -> {"en": ..., "zh": ...} (shown after the class code)."""
    lang = lang if lang == "en" or has_cjk_font() else "en"  # no CJK font: English rather than empty boxes
    fp = font_properties(lang)
    classes = list(probs)
    vals = [probs[k] for k in classes]
    labels = [f"{c} {(names or {}).get(c, {}).get(lang, '')}".strip() for c in classes]
    fig = Figure(figsize=(CHART_WIDTH_PX / 100, 0.42 * len(classes) + 0.9), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    colours = ["#d9534f" if v == max(vals) else "#5b8def" for v in vals]
    ys = list(range(len(classes)))[::-1]
    ax.barh(ys, vals, color=colours)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontproperties=fp, fontsize=10)
    for y, v in zip(ys, vals):
        ax.text(min(v + 0.01, 0.86), y, f"{v:.1%}", va="center", fontsize=10, fontproperties=fp)
    ax.set_xlim(0, 1)
    ax.set_xlabel(AXIS_LABEL[lang], fontproperties=fp)
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(fp)
    fig.tight_layout()
    return fig


def probability_chart(probs: dict, lang: str = "en", names: dict | None = None) -> bytes:
    buf = io.BytesIO()
    chart_figure(probs, lang, names).savefig(buf, format="png", dpi=100 * DPI_SCALE)
    return buf.getvalue()
