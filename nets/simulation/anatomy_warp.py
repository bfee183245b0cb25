"""A smooth random warp of the whole brain that stands for another person's anatomy, not for atrophy.

After the engine's affine alignment healthy brains still differ in shape by several millimetres, and a model trained
on the simulated atrophy of a few dozen brains sees only their shapes at level 0. `python -m nets.train mri
--anatomy-warp VOXELS` applies this warp before the atrophy, at every level including 0, to widen what "normal"
looks like; `real_brains_under_warps` in the evaluation measures how healthy brains so warped are called. (A
fine-tune with it was tried and not kept: README, "Runs not kept".)
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from nets.simulation.smooth_zoom import smooth_zoom
from nets.simulation.structures import voxel_grid
from nets.transforms.engine_grid import SHAPE

CONTROL_POINTS = (5, 6, 5)  # ~32 mm apart on the 2 mm grid: gyral-scale and larger shape differences


def displacement_field(rng, max_voxels: float, control_points=CONTROL_POINTS) -> np.ndarray:
    """(3, *SHAPE) float32: cubic interpolation of Gaussian control-point offsets, scaled so the largest
    displacement is max_voxels."""
    d = np.stack([smooth_zoom(rng.normal(0, 1, control_points).astype(np.float32), SHAPE) for _ in range(3)])
    return (d * (max_voxels / max(float(np.abs(d).max()), 1e-6))).astype(np.float32)


def warp(image: np.ndarray, field: np.ndarray) -> np.ndarray:
    """image sampled at grid + field (linear); zero stays zero outside the brain."""
    out = ndimage.map_coordinates(image, voxel_grid() + field, order=1, mode="nearest")
    return np.where(image > 0, out, 0).astype(np.float32)


def anatomy_warp(image: np.ndarray, rng, max_voxels: float) -> np.ndarray:
    """The image warped by a random smooth field whose largest displacement is uniform in [0, max_voxels]."""
    return warp(image, displacement_field(rng, rng.uniform(0, max_voxels)))
