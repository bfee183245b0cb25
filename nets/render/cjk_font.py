"""Chinese glyphs in server-drawn matplotlib figures.

matplotlib's default font (DejaVu Sans) has no CJK glyphs, and it only falls back glyph by glyph to fonts listed in
`font.family`. When Debian's fonts-wqy-microhei is installed, WenQuanYi Micro Hei is added after DejaVu Sans, so
Latin text looks as before and Chinese is drawn; without it Chinese characters are drawn as empty boxes.
"""
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
