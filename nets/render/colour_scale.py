"""One visual language for every explanation map (all tasks, all methods).

Signed maps (LRP, occlusion): a diverging, colour-blind-safe scale (ColorBrewer RdBu): red = the region speaks FOR
the explained class, blue = AGAINST it, white/transparent = no effect; symmetric about 0. Unsigned maps (Grad-CAM):
one sequential scale (viridis). Every map comes with a colour bar carrying numbers and words ("for CN" /
"against CN"), in English or Chinese. Chinese needs a CJK font: WenQuanYi Micro Hei or Noto CJK when installed
(found through matplotlib's font_manager); without one the bar carries numbers only and the page writes the
words beside it (`bar_has_words`).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from nets.render.cjk_font import cjk_font_path

DIVERGING, SEQUENTIAL = "RdBu_r", "viridis"  # matplotlib names; their 256 colours ship in colormap_luts.npz
LUT_FILE = Path(__file__).with_name("colormap_luts.npz")  # so a result never imports matplotlib (0.1 s cold)
RED, BLUE = (178, 24, 43), (33, 102, 172)  # the scale's end colours, for words

WORDS = {
    "en": {"for": "for {c}", "against": "against {c}", "high": "looked here most", "low": "not used",
           "lrp": "relevance", "occlusion": "drop in log-odds", "grad-cam": "Grad-CAM weight"},
    "zh": {"for": "支持 {c}", "against": "反对 {c}", "high": "最关注", "low": "未使用",
           "lrp": "相关性", "occlusion": "对数几率下降", "grad-cam": "Grad-CAM 权重"},
}


@lru_cache(maxsize=None)
def lut(name: str) -> np.ndarray:
    """(256, 3) RGB floats of a matplotlib colormap, as matplotlib samples it (tests compare them)."""
    with np.load(LUT_FILE) as f:
        return f[name]


def apply_colormap(name: str, v: np.ndarray) -> np.ndarray:
    """RGB for values in [0, 1], as matplotlib's Colormap(v) does: entry floor(v * 256), 1.0 in the last one."""
    return lut(name)[np.clip((np.asarray(v) * 256).astype(np.int64), 0, 255)]


def bar_has_words(lang: str) -> bool:
    return lang != "zh" or cjk_font_path() is not None


@lru_cache(maxsize=32)
def font(size: int, lang: str = "en", bold: bool = False):
    """A label font: the CJK font for Chinese when installed, else DejaVu (bold: the slices' orientation letters)."""
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans" + ("-Bold" if bold else "") + ".ttf"
    paths = ([cjk_font_path()] if lang == "zh" and cjk_font_path() else []) + [dejavu]
    for p in paths:
        if p and Path(p).exists():
            return ImageFont.truetype(p, size)
    return ImageFont.load_default()


def colourise(amap: np.ndarray, signed: bool, lim: float) -> np.ndarray:
    """RGB floats in [0, 1] for a 2D map."""
    lim = lim or 1.0
    if signed:
        return apply_colormap(DIVERGING, np.clip(amap / lim * 0.5 + 0.5, 0, 1))
    return apply_colormap(SEQUENTIAL, np.clip(amap / lim, 0, 1))


def overlay(grey_rgb: np.ndarray, amap: np.ndarray, signed: bool, lim: float) -> np.ndarray:
    """The map over the image, both signs: opacity grows with |value| (weak values leave the image visible)."""
    lim = lim or 1.0
    a = np.clip(np.abs(amap) / lim, 0, 1)[..., None] * 0.8
    return grey_rgb * (1 - a) + colourise(amap, signed, lim) * a


def _fmt(v: float) -> str:
    return "0" if v == 0 else f"{v:+.2g}" if abs(v) >= 1e-3 else f"{v:+.1e}"


def colour_bar(height: int, signed: bool, lim: float, cls: str, lang: str = "en", method: str = "lrp") -> Image.Image:
    """The bar of _colour_bar, drawn once per setting (a gallery needs the same one for 9 heatmaps); a copy each
    time, so callers may draw on it."""
    return _colour_bar(int(height), bool(signed), float(lim), str(cls), lang, method).copy()


@lru_cache(maxsize=64)
def _colour_bar(height: int, signed: bool, lim: float, cls: str, lang: str = "en", method: str = "lrp") -> Image.Image:
    """A vertical bar, numbers on the right, the words at both ends: red top 'for CLS', blue bottom 'against CLS'
    (sequential: 'looked here most' / 'not used'), the quantity's name under it."""
    w = WORDS.get(lang, WORDS["en"])
    words = bar_has_words(lang)
    f, fs = font(14, lang if words else "en"), font(12, lang if words else "en")
    top_h, bot_h, bar_w = (22, 40, 18) if words else (8, 8, 18)
    width = 150
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    bar_h = max(20, height - top_h - bot_h)
    grad = np.linspace(1, 0 if not signed else -1, bar_h)[:, None]
    rgb = colourise(grad * (lim or 1.0), signed, lim or 1.0)
    x0 = 8
    img.paste(Image.fromarray((np.repeat(rgb, bar_w, 1) * 255).astype(np.uint8)), (x0, top_h))
    d.rectangle((x0, top_h, x0 + bar_w - 1, top_h + bar_h - 1), outline=(90, 90, 90))
    ticks = (lim, lim / 2, 0, -lim / 2, -lim) if signed else (lim, lim / 2, 0)
    for n, v in enumerate(ticks):
        y = top_h + round(n * (bar_h - 1) / (len(ticks) - 1))
        d.line((x0 + bar_w, y, x0 + bar_w + 4, y), fill=(60, 60, 60))
        d.text((x0 + bar_w + 7, y), _fmt(v) if signed else f"{v:.2g}", fill=(30, 30, 30), font=fs, anchor="lm")
    if words:
        hi, lo = (w["for"], w["against"]) if signed else (w["high"], w["low"])
        d.text((x0, 2), hi.format(c=cls), fill=RED if signed else (60, 60, 60), font=f)
        d.text((x0, top_h + bar_h + 3), lo.format(c=cls), fill=BLUE if signed else (60, 60, 60), font=f)
        d.text((x0, top_h + bar_h + 22), w.get(method, ""), fill=(90, 90, 90), font=fs)
    return img


def words_for_html(signed: bool, cls: str, lang: str) -> tuple:
    """(top word, bottom word) for a page that writes them beside a bar without words."""
    w = WORDS.get(lang, WORDS["en"])
    return ((w["for"], w["against"]) if signed else (w["high"], w["low"]))[0].format(c=cls), \
        ((w["for"], w["against"]) if signed else (w["high"], w["low"]))[1].format(c=cls)
