"""A 2D explanation as a person sees it: image | map | overlay (both signs) | colour bar with words.

Same scales as the MRI slices (nets/render/colour_scale.py). The map is resized to the display image bilinearly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from nets.render.colour_scale import colour_bar, colourise, overlay
from nets.render.png_encode import encode_png, save_png


def resize_map(amap: np.ndarray, size: tuple) -> np.ndarray:
    """(H, W) float map -> size (width, height), bilinear."""
    return np.asarray(Image.fromarray(amap.astype(np.float32), mode="F").resize(size, Image.BILINEAR))


class ImageExplanation:
    def __init__(self, display: np.ndarray, attribution, target_name: str):
        self.display = display  # (H, W, 3) uint8
        self.a = attribution
        self.target = target_name
        self.lim = attribution.limit()
        self.map = resize_map(attribution.map, display.shape[1::-1])

    def heatmap(self) -> Image.Image:
        return Image.fromarray((colourise(self.map, self.a.signed, self.lim) * 255).astype(np.uint8))

    def merged(self) -> Image.Image:
        grey = self.display.astype(np.float32) / 255
        return Image.fromarray((np.clip(overlay(grey, self.map, self.a.signed, self.lim), 0, 1) * 255).astype(np.uint8))

    def raw(self) -> Image.Image:
        return Image.fromarray(self.display)

    def bar(self, height: int, lang: str = "en") -> Image.Image:
        return colour_bar(height, self.a.signed, self.lim, self.target, lang, self.a.method)

    def png(self, kind: str, lang: str = "en", height: int = 260) -> bytes:
        return encode_png(self.bar(height, lang) if kind == "bar" else getattr(self, kind)())

    def save(self, root: Path, run_id: str, tag: str = "") -> dict:
        """PNG files as the gallery writes them (imgs/img_raw|img_hot|img_merge/<run_id>/), the heatmap with its bar
        (English), and a montage."""
        out = {}
        heat = self.heatmap()
        bar = self.bar(heat.height)
        heat_bar = Image.new("RGB", (heat.width + bar.width + 4, heat.height), (255, 255, 255))
        heat_bar.paste(heat, (0, 0))
        heat_bar.paste(bar, (heat.width + 4, 0))
        ims = {"raw": self.raw(), "heatmap": heat_bar, "merged": self.merged()}
        for kind, sub in (("raw", "img_raw"), ("heatmap", "img_hot"), ("merged", "img_merge")):
            d = Path(root) / sub / run_id
            d.mkdir(parents=True, exist_ok=True)
            p = d / f"image{tag}.png"
            save_png(ims[kind], p)
            out[kind] = [str(p)]
        mont = Path(root) / "montage" / f"{run_id}{tag}.png"
        mont.parent.mkdir(parents=True, exist_ok=True)
        row = [ims["raw"], ims["heatmap"], ims["merged"]]
        canvas = Image.new("RGB", (sum(i.width for i in row) + 8, max(i.height for i in row)), (255, 255, 255))
        x = 0
        for im in row:
            canvas.paste(im, (x, 0))
            x += im.width + 4
        save_png(canvas, mont)
        out["montage"] = str(mont)
        return out
