"""Regions of a dermoscopy photo: the lesion (darker than the skin around it), the skin's colour around it, the outer
ring where a dermoscope's vignette or frame sits. Used by the skin background study (nets/cli/skin_background.py)
and the per-answer edge check (nets/trust/edge_check.py)."""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def threshold_otsu(values: np.ndarray) -> float:
    """Otsu's threshold (the split maximising the between-class variance) of a set of grey values."""
    hist, edges = np.histogram(values, bins=256)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres) / np.maximum(w0, 1)
    m1 = ((hist * centres).sum() - np.cumsum(hist * centres)) / np.maximum(w1, 1)
    return float(centres[int(np.argmax(w0 * w1 * (m0 - m1) ** 2))])


def lesion_mask(rgb: np.ndarray):
    """Bool mask of the lesion (darker than the skin around it): the dark component covering most of the picture's
    centre; None if no dark component reaches the centre, or it covers < 2 % or > 70 % of the image, or it is less
    than 15 grey levels darker than the skin around it."""
    g = ndimage.gaussian_filter(rgb.astype(np.float32).mean(-1), 2)
    h, w = g.shape
    yy, xx = np.mgrid[:h, :w]
    r = np.hypot((yy - h / 2) / h, (xx - w / 2) / w)
    dark = g < threshold_otsu(g[r < 0.45])  # the vignette's corners do not set the threshold
    dark &= r < 0.48
    lab, n = ndimage.label(ndimage.binary_opening(dark, iterations=2))
    if n == 0:
        return None
    overlap = ndimage.sum(r < 0.2, lab, range(1, n + 1))
    if overlap.max() == 0:  # nothing dark at the centre: a dark blob off it is a frame, hair or vignette, not a lesion
        return None
    m = ndimage.binary_fill_holes(lab == int(np.argmax(overlap)) + 1)
    ring = ndimage.binary_dilation(m, iterations=8) & ~m
    clear = ring.any() and g[ring].mean() - g[m].mean() >= 15  # a faint lesion's outline is a guess: skip it
    return m if clear and 0.02 <= m.mean() <= 0.7 else None


def skin_colour(rgb: np.ndarray, lesion: np.ndarray) -> np.ndarray:
    """Median colour of the skin around the lesion (a ring 3-12 px outside it)."""
    ring = ndimage.binary_dilation(lesion, iterations=12) & ~ndimage.binary_dilation(lesion, iterations=3)
    return np.median(rgb[ring], 0) if ring.any() else np.median(rgb[~lesion], 0)


def border_ring(shape, frac=0.12) -> np.ndarray:
    h, w = shape
    m = np.zeros(shape, bool)
    bh, bw = int(h * frac), int(w * frac)
    m[:bh], m[-bh:], m[:, :bw], m[:, -bw:] = True, True, True, True
    return m
