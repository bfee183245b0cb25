"""Feature-map grids for the layer-activation view: one PNG per stage. 2D: the top-K maps in rows of four;
MRI: one row per channel with its axial, coronal and sagittal mid-plane slices. Each map is scaled to its own
maximum (viridis; dark = no activation), labelled with its channel index and mean activation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from PIL import Image, ImageDraw

from nets.render.colour_scale import font

TILE = 112
LABEL_H = 16


def _tile(a: np.ndarray, size: int = TILE) -> Image.Image:
    a = np.asarray(a, np.float32)
    top = float(a.max())
    norm = np.clip(a / top, 0, 1) if top > 0 else np.zeros_like(a)
    rgb = (colormaps["viridis"](norm)[..., :3] * 255).astype(np.uint8)
    h, w = a.shape
    scale = size / max(h, w)
    return Image.fromarray(rgb).resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.NEAREST)


def _labelled(tile: Image.Image, text: str) -> Image.Image:
    im = Image.new("RGB", (TILE, TILE + LABEL_H), "white")
    im.paste(tile, ((TILE - tile.width) // 2, LABEL_H + (TILE - tile.height) // 2))
    ImageDraw.Draw(im).text((2, 1), text, fill=(40, 40, 40), font=font(11))
    return im


def stage_grid(stage, per_row: int = 4) -> Image.Image:
    """One stage's strongest maps as one image (nets/interpret/activations.StageActivations)."""
    if stage.slices:  # a volume: a row per channel, a column per plane
        tiles = [[_labelled(_tile(s), f"#{c} {p[:3]} {m:.2f}") for s, p in zip(sl, ("axial", "coronal", "sagittal"))]
                 for c, m, sl in zip(stage.channels, stage.means, stage.slices)]
    else:
        flat = [_labelled(_tile(a), f"#{c}  mean {m:.2f}") for c, m, a in zip(stage.channels, stage.means, stage.maps)]
        tiles = [flat[i:i + per_row] for i in range(0, len(flat), per_row)]
    cols = max(len(r) for r in tiles)
    w, h = TILE + 4, TILE + LABEL_H + 4
    grid = Image.new("RGB", (cols * w, len(tiles) * h), "white")
    for i, row in enumerate(tiles):
        for j, im in enumerate(row):
            grid.paste(im, (j * w + 2, i * h + 2))
    return grid


def save_stage_grids(activations, out_dir, prefix: str = "") -> dict:
    """Write one PNG per stage under out_dir; returns {stage name: path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for s in activations.stages:
        p = out_dir / f"{prefix}activations_{s.name}.png"
        stage_grid(s).save(p)
        paths[s.name] = str(p)
    return paths
