"""Chinese glyphs in server-drawn figures (matplotlib) and PDF reports (fpdf2).

matplotlib's default font (DejaVu Sans) has no CJK glyphs, and it only falls back glyph by glyph to fonts listed in
`font.family`. When Debian's fonts-wqy-microhei is installed, enable_cjk_fallback adds WenQuanYi Micro Hei after
DejaVu Sans, so Latin text looks as before and Chinese is drawn; without it Chinese characters are drawn as empty
boxes. Figures with Chinese text also name the font explicitly (font_properties), and the PDF report embeds the
font file (cjk_font_path); without one installed, callers draw English only (and say so).
"""
from __future__ import annotations

import functools
from pathlib import Path

CJK_FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CJK_FAMILY = "WenQuanYi Micro Hei"


@functools.lru_cache(maxsize=1)
def enable_cjk_fallback(font_file: Path = CJK_FONT_FILE) -> bool:
    """Make matplotlib draw CJK text with `font_file` when it exists (once per process); True when enabled."""
    if not Path(font_file).exists():
        return False
    import matplotlib
    from matplotlib import font_manager
    font_manager.fontManager.addfont(str(font_file))  # matplotlib's font cache may predate the package
    family = font_manager.FontProperties(fname=str(font_file)).get_name()
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", family]
    return True


CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Droid Sans Fallback")
# where Debian puts them, for the PDF (fpdf2 needs a file, and TrueType outlines: the .ttc of wqy is TrueType)
CJK_FILES = (str(CJK_FONT_FILE),
             "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
LATIN_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)


@functools.lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """Path of an installed font with Chinese glyphs, or None."""
    for p in CJK_FILES:
        if Path(p).exists():
            return p
    from matplotlib import font_manager
    for family in CJK_FAMILIES:
        try:
            return font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
    return None


def has_cjk_font() -> bool:
    return cjk_font_path() is not None


def font_properties(lang: str):
    """matplotlib FontProperties for text in `lang` (the CJK font for zh when installed, else the default)."""
    from matplotlib import font_manager
    path = cjk_font_path() if lang == "zh" else None
    return font_manager.FontProperties(fname=path) if path else font_manager.FontProperties()


def missing_glyphs(text: str, font_path: str) -> str:
    """The characters of `text` that the font at font_path cannot draw (checked in its character map)."""
    from fontTools.ttLib import TTFont
    kw = {"fontNumber": 0} if font_path.lower().endswith(".ttc") else {}
    cmap = TTFont(font_path, lazy=True, **kw).getBestCmap()
    return "".join(sorted({c for c in text if not c.isspace() and ord(c) not in cmap}))
