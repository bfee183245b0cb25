"""Cut raw / heatmap / merged slices from a cached (volume, relevance) pair and write PNGs with PIL.

Everything is numpy + PIL (matplotlib only for its colour tables), so renders are fast and thread-safe.
Volumes are in RAS voxel order: axis 0 = x (L->R), 1 = y (P->A), 2 = z (I->S).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from nets.helper_threads import submit
from nets.render.cjk_font import CJK_FONT_FILE
from nets.render.colour_scale import colour_bar, colourise, font, overlay
from nets.render.png_encode import encode_png, save_png
from nets.report.texts import tr

PLANES = ("axial", "coronal", "sagittal")
AXIS = {"sagittal": 0, "coronal": 1, "axial": 2}
# letters shown at (left, right, top, bottom) of each displayed slice (radiological convention: patient's R on the left)
LETTERS = {"axial": ("R", "L", "A", "P"), "coronal": ("R", "L", "S", "I"), "sagittal": ("P", "A", "S", "I")}


def cut(volume: np.ndarray, plane: str, index: int) -> np.ndarray:
    """2D slice oriented for display: rows top->bottom, columns left->right (radiological for axial/coronal)."""
    ax = AXIS[plane]
    s = np.take(volume, index, axis=ax)
    if plane == "sagittal":  # (y, z) -> rows z (S top), cols y (P left)
        return s.T[::-1]
    # axial (x, y) -> rows y (A top), cols x flipped (R left); coronal (x, z) -> rows z, cols x flipped
    return s.T[::-1, ::-1]


def top_slices(relevance: np.ndarray, plane: str, n: int = 3, min_gap: int = 4) -> list:
    """Indices of the n slices with the most positive relevance, at least min_gap apart."""
    ax = AXIS[plane]
    pos = np.clip(relevance, 0, None)
    score = pos.sum(axis=tuple(i for i in range(3) if i != ax))
    order = np.argsort(score)[::-1]
    chosen = []
    for i in order:
        if all(abs(int(i) - c) >= min_gap for c in chosen):
            chosen.append(int(i))
        if len(chosen) == n:
            break
    return sorted(chosen)


class SliceRenderer:
    """Slices of a volume and of a map over it (nets/render/colour_scale.py: red = for `target`, blue = against;
    unsigned maps on the sequential scale)."""

    def __init__(self, volume: np.ndarray, relevance: np.ndarray, zoom: int = 3, target: str = "",
                 signed: bool = True, method: str = "lrp"):
        self.volume = volume
        self.relevance = relevance
        self.zoom = zoom
        self.target, self.signed, self.method = target, signed, method
        v = volume[volume > 0]
        self.vmax = float(np.percentile(v, 99.5)) if v.size else 1.0
        r = np.abs(relevance)
        nz = r[r > 0]
        self.rmax = float(np.percentile(nz, 99.5)) if nz.size else 1.0

    def n_slices(self, plane: str) -> int:
        """How many slices the volume has across `plane` (the page's slider range)."""
        return int(self.volume.shape[AXIS[plane]])

    def aspect(self, plane: str) -> float:
        """Height / width of every slice image of `plane` (from the volume's shape: no slice is drawn)."""
        first, second = [s for a, s in enumerate(self.volume.shape) if a != AXIS[plane]]
        return second / first  # cut() transposes every plane: rows come from the second remaining axis

    def _upscale(self, rgb: np.ndarray) -> Image.Image:
        im = Image.fromarray(rgb)
        return im.resize((im.width * self.zoom, im.height * self.zoom), Image.BILINEAR)

    def _letters(self, im: Image.Image, plane: str) -> Image.Image:
        d = ImageDraw.Draw(im)
        f = font(14, bold=True)
        w, h = im.size
        l, r, t, b = LETTERS[plane]
        for txt, xy in ((l, (4, h // 2 - 8)), (r, (w - 14, h // 2 - 8)), (t, (w // 2 - 5, 2)), (b, (w // 2 - 5, h - 18))):
            d.text(xy, txt, fill=(255, 255, 0), font=f, stroke_width=1, stroke_fill=(0, 0, 0))
        return im

    def raw(self, plane, index) -> Image.Image:
        g = np.clip(cut(self.volume, plane, index) / self.vmax, 0, 1)
        rgb = (np.repeat(g[..., None], 3, -1) * 255).astype(np.uint8)
        return self._letters(self._upscale(rgb), plane)

    def heat_rgb(self, plane, index):
        return colourise(cut(self.relevance, plane, index), self.signed, self.rmax)

    def heatmap_plain(self, plane, index) -> Image.Image:
        return self._letters(self._upscale((self.heat_rgb(plane, index) * 255).astype(np.uint8)), plane)

    def heatmap(self, plane, index) -> Image.Image:
        return self._with_colourbar(self.heatmap_plain(plane, index))

    def merged(self, plane, index) -> Image.Image:
        """Both signs over the slice (red for the class, blue against), opacity by strength."""
        g = np.clip(cut(self.volume, plane, index) / self.vmax, 0, 1)
        rgb = overlay(np.repeat(g[..., None], 3, -1), cut(self.relevance, plane, index), self.signed, self.rmax)
        return self._letters(self._upscale((np.clip(rgb, 0, 1) * 255).astype(np.uint8)), plane)

    def bar(self, height: int, lang: str = "en") -> Image.Image:
        return colour_bar(height, self.signed, self.rmax, self.target, lang, self.method)

    def _with_colourbar(self, im: Image.Image, lang: str = "en") -> Image.Image:
        bar = self.bar(im.height, lang)
        out = Image.new("RGB", (im.width + bar.width + 4, im.height), (255, 255, 255))
        out.paste(im, (0, 0))
        out.paste(bar, (im.width + 4, 0))
        return out

    def png_bytes(self, kind, plane, index) -> bytes:
        return encode_png(getattr(self, kind)(plane, index))

    def bar_png(self, height: int, lang: str = "en") -> bytes:
        return encode_png(self.bar(height, lang))


def render_gallery(renderer: SliceRenderer, run_id: str, root, per_plane: int = 3) -> dict:
    """Write raw/heatmap/merged PNGs for the top slices of each plane + one montage; return paths."""
    root = Path(root)
    dirs = {"raw": root / "img_raw" / run_id, "heatmap": root / "img_hot" / run_id,
            "merged": root / "img_merge" / run_id}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    out = {"raw": [], "heatmap": [], "merged": [], "slices": {}}
    tiles, files = [], []
    for plane in PLANES:
        idx = top_slices(renderer.relevance, plane, per_plane)
        out["slices"][plane] = idx
        for i in idx:
            row = [getattr(renderer, kind)(plane, i) for kind in ("raw", "heatmap", "merged")]
            for kind, im in zip(("raw", "heatmap", "merged"), row):
                files.append((im, dirs[kind] / f"{plane}_{i:03d}.png"))
                out[kind].append(str(files[-1][1]))
            tiles.append((plane, i, row))
    montage = root / "montage" / f"{run_id}.png"
    montage.parent.mkdir(parents=True, exist_ok=True)
    # the montage (the longest encode) first: queued last, it ran alone after the 27 tiles
    writes = [submit("png", 2, save_png, _montage(tiles), montage)]
    writes += [submit("png", 2, save_png, im, path) for im, path in files]
    for w in writes:
        w.result()  # zlib frees the GIL: two encoders (one fixed pool, the caller's priority); errors raised here
    out["montage"] = str(montage)
    return out


def _montage_labels(plane: str, i: int) -> list:
    """[(text, font)] lines over a montage row: English, then Chinese when the CJK font is installed (the montage
    is drawn once per result, whatever the page's language). A path check first: no matplotlib on a result's path."""
    lines = [(f"{plane} slice {i}: raw | relevance (red: for, blue: against) | overlay", font(11, bold=True))]
    if CJK_FONT_FILE.exists():
        lines.append((f"{tr('plane_' + plane, 'zh')} 切片 {i}：原图 | 相关性（红：支持，蓝：反对）| 叠加",
                      font(11, "zh")))
    return lines


def _montage(tiles) -> Image.Image:
    labels = [_montage_labels(plane, i) for plane, i, _ in tiles]
    head = 2 + 14 * max(len(x) for x in labels)
    cw = max(sum(im.width for im in row) for _, _, row in tiles) + 8
    rh = max(im.height for _, _, row in tiles for im in row) + head + 2
    canvas = Image.new("RGB", (cw, rh * len(tiles)), (255, 255, 255))
    d = ImageDraw.Draw(canvas)
    for k, (_, _, row) in enumerate(tiles):
        for n, (text, f) in enumerate(labels[k]):
            d.text((4, k * rh + 2 + 14 * n), text, fill=(0, 0, 0), font=f)
        x = 0
        for im in row:
            canvas.paste(im, (x, k * rh + head))
            x += im.width + 4
    return canvas
