"""Smooth, randomised atrophy of increasing severity on a preprocessed brain (engine grid), with the mask of changed
tissue as ground truth for the explanation.

Severity levels 0..4 map to CN < EMCI < MCI < LMCI < AD. Each level enlarges the lateral ventricles (radial
expansion around random points inside them) and shrinks the hippocampus / amygdala / parahippocampal grey matter
(radial contraction plus partial-volume darkening), with random extent, centres and radii, so a model has to learn
atrophy rather than one template. Realistic nuisance variation: bias field, noise, contrast (gamma), small affine,
resolution (blur).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from nets.transforms.brain_preprocessing import normalise_intensity
from nets.transforms.engine_grid import ENGINE_AFFINE, SHAPE, VOXEL_MM
from nets.transforms.templates import get_templates

MEDIAL_TEMPORAL_AAL = (37, 38, 39, 40, 41, 42)  # hippocampus, parahippocampal gyrus, amygdala (L/R)
LEVELS = 5


@dataclass
class SimulatedBrain:
    image: np.ndarray
    level: int
    changed: np.ndarray  # bool mask of changed tissue


def structure_masks():
    t = get_templates()
    coords = np.stack(np.meshgrid(*[np.arange(s) for s in SHAPE], indexing="ij"), -1) @ ENGINE_AFFINE[:3, :3].T \
        + ENGINE_AFFINE[:3, 3]
    central = ((np.abs(coords[..., 0]) < 28) & (coords[..., 1] > -50) & (coords[..., 1] < 30)
               & (coords[..., 2] > -5) & (coords[..., 2] < 38))
    vent = t.brain_mask & (t.brain < 0.35) & central
    vent = ndimage.binary_opening(vent)
    mtl = np.isin(t.atlas, MEDIAL_TEMPORAL_AAL) if t.atlas is not None else np.zeros(SHAPE, bool)
    return vent, mtl


_GRID = None


def _grid():
    global _GRID
    if _GRID is None:
        _GRID = np.stack(np.meshgrid(*[np.arange(s, dtype=np.float32) for s in SHAPE], indexing="ij"), 0)
    return _GRID


def _radial_field(centres, radii, amps):
    """Displacement (voxels) d(x) = sum_k amp_k * phi_k(x) * (x - c_k); amp<0 expands, amp>0 contracts."""
    g = _grid()
    d = np.zeros_like(g)
    for c, r, a in zip(centres, radii, amps):
        diff = g - np.asarray(c, np.float32).reshape(3, 1, 1, 1)
        phi = np.exp(-(diff ** 2).sum(0) / (2 * (r / VOXEL_MM) ** 2))
        d += a * phi * diff
    return d


def simulate(image, mask, level, rng, vent=None, mtl=None, augment=True) -> SimulatedBrain:
    if vent is None:
        vent, mtl = structure_masks()
    img = image.astype(np.float32)
    d = np.zeros((3,) + SHAPE, np.float32)
    darken = np.ones(SHAPE, np.float32)
    if level > 0:
        s = level / (LEVELS - 1) * rng.uniform(0.8, 1.2)
        vidx = np.argwhere(vent)
        cs = vidx[rng.choice(len(vidx), size=rng.integers(3, 6))]
        d += _radial_field(cs, rng.uniform(12, 20, len(cs)), -s * rng.uniform(0.5, 0.75, len(cs)))
        midx = np.argwhere(mtl)
        if len(midx):
            left = midx[midx[:, 0] < SHAPE[0] // 2]
            right = midx[midx[:, 0] >= SHAPE[0] // 2]
            cs = [side[rng.integers(len(side))] for side in (left, right) for _ in range(2) if len(side)]
            rs = rng.uniform(7, 12, len(cs))
            d += _radial_field(cs, rs, s * rng.uniform(0.25, 0.4, len(cs)))
            # partial-volume loss of grey matter in the medial temporal lobe
            g = _grid()
            for c, r in zip(cs, rs):
                diff = g - np.asarray(c, np.float32).reshape(3, 1, 1, 1)
                phi = np.exp(-(diff ** 2).sum(0) / (2 * (r / VOXEL_MM) ** 2))
                darken *= 1 - 0.45 * s * phi * mtl_soft(mtl)
    coords = _grid() + d
    out = ndimage.map_coordinates(img, coords, order=1, mode="constant") * darken
    changed = (np.abs(out - img) > 0.08) & mask
    if augment:
        out = _augment(out, mask, rng)
    out = np.where(mask, out, 0)
    out = normalise_intensity(out, mask & (out > 0))
    return SimulatedBrain(out.astype(np.float32), level, changed)


_MTL_SOFT = {}


def mtl_soft(mtl):
    k = id(mtl)
    if k not in _MTL_SOFT:
        _MTL_SOFT[k] = ndimage.gaussian_filter(mtl.astype(np.float32), 1.0)
    return _MTL_SOFT[k]


def _augment(img, mask, rng):
    # small affine about the grid centre
    ang = rng.uniform(-0.06, 0.06, 3)
    sc = rng.uniform(0.95, 1.05, 3)
    cx, sx, cy, sy, cz, sz = np.cos(ang[0]), np.sin(ang[0]), np.cos(ang[1]), np.sin(ang[1]), np.cos(ang[2]), np.sin(ang[2])
    rot = (np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]]) @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
           @ np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])) @ np.diag(sc)
    centre = (np.array(SHAPE) - 1) / 2
    offset = centre - rot @ centre + rng.uniform(-2, 2, 3)
    img = ndimage.affine_transform(img, rot, offset=offset, order=1)
    # resolution
    if rng.random() < 0.5:
        img = ndimage.gaussian_filter(img, rng.uniform(0.3, 0.9))
    # bias field: smooth multiplicative, +-15%
    low = rng.normal(0, 1, (4, 5, 4)).astype(np.float32)
    bias = ndimage.zoom(low, np.array(SHAPE) / np.array(low.shape), order=3)
    img = img * (1 + 0.15 * bias / max(np.abs(bias).max(), 1e-6))
    # contrast and noise
    img = np.clip(img, 0, None) ** rng.uniform(0.8, 1.25)
    img = img + rng.normal(0, rng.uniform(0, 0.03), img.shape).astype(np.float32)
    return np.clip(img, 0, None).astype(np.float32)
