"""Smooth, randomised atrophy of increasing severity on a preprocessed brain (engine grid), with the mask of changed
tissue as ground truth for the explanation.

Severity levels 0..4 map to CN < EMCI < MCI < LMCI < AD. Each level enlarges the subject's own lateral ventricles and
shrinks the medial temporal lobe (hippocampus, amygdala, parahippocampal grey matter), by one of two mechanisms
chosen at random so that a model learns atrophy rather than one generator:
- "push": a smooth displacement field along the gradient of the smoothed structure mask (tissue is pushed away from
  the ventricles and pulled out of the medial temporal lobe);
- "replace": tissue within a randomly varying distance of the ventricles, and medial temporal tissue within a
  randomly varying distance of CSF, becomes CSF, with partial-volume edges ("replace_v1": the first models' version,
  which eroded the medial temporal lobe from its atlas border; kept to reproduce them);
- "radial" (mechanisms=..., used by the trainer): radial expansion/contraction about random points of the
  structures;
- "ventricles": the push on the ventricles alone (evaluation: does ventricle size by itself read as atrophy?).
Extent varies in space (a low-frequency random envelope) and between hemispheres. Realistic nuisance variation on
top: bias field, noise, contrast (gamma), small affine, resolution (blur); optionally, first, a smooth random warp
that stands for another person's anatomy (anatomy_warp.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from nets.simulation.anatomy_warp import anatomy_warp
from nets.simulation.smooth_zoom import smooth_zoom
from nets.simulation.structures import (CSF_THRESHOLD, medial_temporal_mask, medial_temporal_soft, ventricle_mask,
                                       voxel_grid)
from nets.transforms.brain_preprocessing import model_mask, normalise_intensity
from nets.transforms.engine_grid import SHAPE

LEVELS = 5
MECHANISMS = ("push", "replace", "radial", "ventricles", "replace_v1")
# at full severity (level 4) the ventricle border moves ~1.4 voxels (2.8 mm) and the medial temporal lobe loses
# tissue at its border and up to 15 % of its grey-matter signal: on held-out brains ventricles x1.9, medial temporal
# tissue x0.73-0.98 by mechanism (nets.training.train_brain_model.by_generator), in line with AD vs. control
# differences in volumetric studies (a first calibration twice as strong made realistic AD-sized atrophy read as MCI)
VENTRICLE_SHIFT = 1.4
MTL_SHIFT = 0.75
MTL_DARKENING = 0.15
REPLACE_VENTRICLE = 0.9  # "replace": voxels of tissue around the ventricles turned into CSF at level 4 (mean)
MTL_EROSION = 3.0  # "replace": voxels of medial temporal tissue facing CSF lost at level 4 (mean over the envelope)
CHANGE_THRESHOLD = 0.08
# "radial" mechanism: expansion about random points inside the ventricles, contraction about a random point of each
# medial temporal lobe
RADIAL_VENTRICLE = 0.28
RADIAL_MTL = 0.45


@dataclass
class SimulatedBrain:
    image: np.ndarray
    level: int
    changed: np.ndarray  # bool mask of changed tissue
    mechanism: str = "none"


def random_envelope(rng, low=0.6, high=1.4, coarse=(4, 5, 4)) -> np.ndarray:
    """A smooth random field in [low, high]: extent of atrophy varies from place to place."""
    z = smooth_zoom(rng.uniform(0, 1, coarse).astype(np.float32), SHAPE)
    return (low + (high - low) * np.clip(z, 0, 1)).astype(np.float32)


def _unit_gradient(mask: np.ndarray, sigma: float) -> np.ndarray:
    s = ndimage.gaussian_filter(mask.astype(np.float32), sigma)
    g = np.stack(np.gradient(s), 0)
    return g / max(float(np.abs(g).max()), 1e-6)


def _hemisphere_scale(rng, left_right=(0.8, 1.2)) -> np.ndarray:
    """Different severity in the two hemispheres (x axis is left->right on the engine grid)."""
    a, b = rng.uniform(*left_right, 2)
    x = np.linspace(0, 1, SHAPE[0], dtype=np.float32)
    w = 1 / (1 + np.exp(-(x - 0.5) * 20))
    return (a * (1 - w) + b * w)[:, None, None].astype(np.float32)


def _radial_field(region, rng, n, radius_range, amp):
    """Displacement sum_k a_k * exp(-|x-c_k|^2 / 2r_k^2) * (x - c_k) about n random points c_k of `region`;
    amp < 0 expands, amp > 0 contracts."""
    g = voxel_grid()
    d = np.zeros_like(g)
    idx = np.argwhere(region)
    if not len(idx):
        return d
    for c in idx[rng.choice(len(idx), size=n)]:
        diff = g - c.astype(np.float32).reshape(3, 1, 1, 1)
        r = rng.uniform(*radius_range)
        d += amp * rng.uniform(0.75, 1.0) * np.exp(-(diff ** 2).sum(0) / (2 * r * r)) * diff
    return d


def natural_ventricle_variation(img, rng, share) -> np.ndarray:
    """Healthy adults' lateral ventricles differ in size and left-right symmetry: the ventricle border pushed out or
    in, each hemisphere by its own signed amount of up to `share` of the level-4 shift (random extent in space).
    Not atrophy: the level and the ground truth are unchanged."""
    side = VENTRICLE_SHIFT * _hemisphere_scale(rng, (-share, share))
    d = side * random_envelope(rng) * _unit_gradient(ventricle_mask(img), 2.0)
    return ndimage.map_coordinates(img, voxel_grid() + d, order=1, mode="nearest").astype(np.float32)


def simulate(image, level, rng, augment=True, mechanism=None, mask=None,
             mechanisms=("push", "replace"), anatomy_warp_voxels=0.0, ventricle_variation=0.0) -> SimulatedBrain:
    """image: a preprocessed brain on the engine grid (nets.transforms.BrainPreprocessor output).
    anatomy_warp_voxels > 0: first warp the brain into another plausible anatomy (nets/simulation/anatomy_warp.py),
    at every level; ventricle_variation > 0: then healthy differences in ventricle size and symmetry
    (`natural_ventricle_variation`). 0 draws nothing from rng, so volumes made without them are unchanged."""
    unknown = set(mechanisms) - set(MECHANISMS) | ({mechanism} - set(MECHANISMS) if mechanism else set())
    if unknown:
        raise ValueError(f"unknown atrophy mechanism(s) {sorted(unknown)}; known: {', '.join(MECHANISMS)}")
    mask = model_mask() if mask is None else mask
    img = image.astype(np.float32)
    if anatomy_warp_voxels > 0:
        img = anatomy_warp(img, rng, anatomy_warp_voxels)
    if ventricle_variation > 0:
        img = natural_ventricle_variation(img, rng, ventricle_variation)
    out, mech = img, "none"
    if level > 0:
        s = level / (LEVELS - 1) * rng.uniform(0.85, 1.15)
        vent = ventricle_mask(img)
        mtl = medial_temporal_mask()
        # one uniform draw picks the mechanism
        mech = mechanism or mechanisms[int(rng.random() * len(mechanisms))]
        alpha = VENTRICLE_SHIFT * s * rng.uniform(0.75, 1.0) * random_envelope(rng) * _hemisphere_scale(rng)
        beta = MTL_SHIFT * s * rng.uniform(0.75, 1.0) * random_envelope(rng) * _hemisphere_scale(rng)
        csf = float(np.median(img[vent])) if vent.any() else 0.15
        if mech in ("push", "ventricles"):
            d = alpha * _unit_gradient(vent, 2.0)
            if mech == "push":
                d = d - beta * _unit_gradient(mtl, 1.5)
            out = ndimage.map_coordinates(img, voxel_grid() + d, order=1, mode="nearest")
        elif mech == "radial":
            d = _radial_field(vent, rng, int(rng.integers(2, 5)), (7, 11), -RADIAL_VENTRICLE * s)
            for half in (mtl & (voxel_grid()[0] < SHAPE[0] / 2), mtl & (voxel_grid()[0] >= SHAPE[0] / 2)):
                d += _radial_field(half, rng, 1, (4, 7), RADIAL_MTL * s)
            out = ndimage.map_coordinates(img, voxel_grid() + d, order=1, mode="nearest")
        elif mech == "replace_v1":
            # "replace" as the first models were trained with (commit ace4aba), kept so that they can be reproduced:
            # ventricle growth below half a voxel changed nothing, and the medial temporal lobe turned into CSF from
            # its atlas border inwards
            dist_out = ndimage.distance_transform_edt(~vent)
            w = np.clip(alpha - dist_out + 0.5, 0, 1) * (dist_out > 0)
            dist_in = ndimage.distance_transform_edt(mtl)
            w = np.maximum(w, np.clip(beta - dist_in + 1.0, 0, 1) * mtl)
            out = img * (1 - w) + csf * w
        else:
            dist_out = ndimage.distance_transform_edt(~vent)
            # partial volume: the first ring outside the ventricles turns into CSF by a fraction of a voxel, so mild
            # levels change something too (an offset of 0.5 here left levels below ~0.5 voxel unchanged)
            w = np.clip(REPLACE_VENTRICLE / VENTRICLE_SHIFT * alpha - dist_out + 1.0, 0, 1) * (dist_out > 0)
            # medial temporal tissue is lost where it faces CSF (temporal horn, cisterns), so the CSF spaces widen
            # into it. (Eroding from the atlas label's border instead left CSF-dark voxels in the middle of tissue,
            # a signature real atrophy does not have, and models learned to read it.)
            csf_space = img < CSF_THRESHOLD
            dist_csf = ndimage.distance_transform_edt(~csf_space)
            w = np.maximum(w, np.clip(MTL_EROSION / MTL_SHIFT * beta - dist_csf + 1.0, 0, 1) * (mtl & ~csf_space))
            out = img * (1 - w) + csf * w
        # partial-volume loss of grey-matter signal inside the medial temporal lobe, in some cases only, so that
        # shrinkage alone also reads as atrophy
        if mech != "ventricles" and rng.random() < 0.6:
            dark = MTL_DARKENING * s * rng.uniform(0.5, 1.0) * medial_temporal_soft() * _hemisphere_scale(rng)
            out = out * (1 - dark) + csf * dark
    changed = (np.abs(out - img) > CHANGE_THRESHOLD) & mask
    if augment:
        out = _augment(out, rng)
    out = np.where(mask, out, 0)
    out = normalise_intensity(out, mask & (out > 0))
    return SimulatedBrain(out.astype(np.float32), level, changed, mech)


def _augment(img, rng):
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
    bias = smooth_zoom(low, SHAPE)
    img = img * (1 + 0.15 * bias / max(np.abs(bias).max(), 1e-6))
    # contrast and noise
    img = np.clip(img, 0, None) ** rng.uniform(0.8, 1.25)
    img = img + rng.normal(0, rng.uniform(0, 0.03), img.shape).astype(np.float32)
    return np.clip(img, 0, None).astype(np.float32)
