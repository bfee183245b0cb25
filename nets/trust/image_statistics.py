"""Cheap statistics of a decoded 2D image for the obvious out-of-distribution cases (tiny, strip-shaped, colour
photo sent to a radiograph model, greyscale image sent to a dermoscopy model). Measured on a 64x64 thumbnail."""
from __future__ import annotations

import numpy as np
from PIL import Image

THUMB = 64


def image_statistics(img: Image.Image) -> dict:
    w, h = img.size
    rgb = np.asarray(img.convert("RGB").resize((THUMB, THUMB), Image.BILINEAR), dtype=np.float32)
    grey = rgb.mean(-1)
    sat = float((rgb.max(-1) - rgb.min(-1)).mean())
    # dermoscopy: the lens often darkens the corners; radiographs: wide grey range, dark background borders
    c = THUMB // 8
    corners = np.concatenate([grey[:c, :c].ravel(), grey[:c, -c:].ravel(), grey[-c:, :c].ravel(),
                              grey[-c:, -c:].ravel()])
    centre = grey[THUMB // 4: -THUMB // 4, THUMB // 4: -THUMB // 4]
    return {"width": int(w), "height": int(h), "min_side": int(min(w, h)),
            "aspect": float(max(w, h) / max(1, min(w, h))),
            "colourfulness": sat,
            "grey_std": float(grey.std()),
            "vignette": float(centre.mean() - corners.mean()),
            "dark_fraction": float((grey < 20).mean()), "bright_fraction": float((grey > 235).mean())}


def saturation(img: Image.Image) -> float:
    """Mean channel spread (max - min) on a 64x64 thumbnail: ~0 for a greyscale radiograph, > 20 for most photos."""
    return image_statistics(img)["colourfulness"]
