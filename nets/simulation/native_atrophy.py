"""A third atrophy generator, used only to evaluate (never to train). Unlike the other two it works on the scan as
stored (native space, ~1 mm), before the engine's preprocessing, so the whole path a user's file takes
(reorientation, resampling, alignment, normalisation) is part of the check. It is morphological: the subject's
lateral ventricles grow by a distance in mm and the medial temporal grey matter is eroded by a distance in mm, the
new voxels taking the subject's CSF intensity with a one-voxel partial-volume edge (so a growth below one voxel
still changes something). No random extent, no asymmetry, no deformation field.

Level 4 (ventricles +1.5 mm, medial temporal grey matter -3 mm where it faces CSF) about doubles the ventricles and
removes more than a third of the medial temporal tissue on the engine grid (`native_generator` in the model card
gives the measured ratios), a strong AD-sized change.
"""
from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage

from nets.io.nifti_loader import Volume
from nets.simulation.structures import medial_temporal_mask, ventricle_mask
from nets.transforms.brain_preprocessing import PreprocessedBrain
from nets.transforms.engine_grid import ENGINE_AFFINE

VENTRICLE_MM_PER_LEVEL = 0.375
MTL_MM_PER_LEVEL = 0.75
CSF_LEVEL = 0.35  # ventricle CSF threshold, as a share of the brain's bright (white matter) intensity


def _native_box(vol: Volume, engine_mask: np.ndarray, to_engine: np.ndarray, margin_mm=8.0):
    """The native voxel box that holds engine_mask (with a margin)."""
    idx = np.argwhere(engine_mask)
    lo, hi = idx.min(0), idx.max(0)
    corners = np.array([[c[0], c[1], c[2], 1.0] for c in itertools.product(*zip(lo, hi))])
    native = (np.linalg.inv(to_engine) @ corners.T).T[:, :3]
    pad = margin_mm / np.asarray(vol.zooms, float)
    start = np.maximum(np.floor(native.min(0) - pad).astype(int), 0)
    stop = np.minimum(np.ceil(native.max(0) + pad).astype(int) + 1, vol.data.shape)
    return tuple(slice(a, b) for a, b in zip(start, stop))


def native_atrophy(vol: Volume, level: int, prep: PreprocessedBrain) -> Volume:
    """vol: the scan as loaded; prep: its preprocessing (for where the engine's structures lie in the scan).
    Returns a new Volume with the same affine."""
    if level == 0:
        return vol
    # native voxel -> engine voxel: prep.world_map takes engine world to the scan's world
    to_engine = np.linalg.inv(ENGINE_AFFINE) @ np.linalg.inv(prep.world_map) @ vol.affine
    vent_e = ventricle_mask(prep.image)
    mtl_e = medial_temporal_mask()
    box = _native_box(vol, vent_e | mtl_e, to_engine)
    data = vol.data[box].astype(np.float32)
    ijk = np.stack(np.meshgrid(*[np.arange(s.start, s.stop, dtype=np.float32) for s in box], indexing="ij"), 0)
    eng = np.tensordot(to_engine[:3, :3].astype(np.float32), ijk, 1) + to_engine[:3, 3].reshape(3, 1, 1, 1)

    def mapped(mask, grow=0):
        m = ndimage.binary_dilation(mask, iterations=grow) if grow else mask
        return ndimage.map_coordinates(m.astype(np.float32), eng, order=1) > 0.5

    bright = float(np.percentile(data[mapped(vent_e, grow=3)], 95))
    thr = CSF_LEVEL * bright
    vent = mapped(vent_e, grow=1) & (data < thr) & (data > 0.02 * bright)
    vent = ndimage.binary_opening(vent)
    csf = float(np.median(data[vent])) if vent.any() else 0.2 * bright
    brain = data > 0.5 * thr
    zooms = np.asarray(vol.zooms, float)
    # ventricles grow into the tissue around them
    r_v = VENTRICLE_MM_PER_LEVEL * level
    dist_out = ndimage.distance_transform_edt(~vent, sampling=zooms)
    w = np.clip((r_v - dist_out) / zooms.min() + 1.0, 0, 1) * (dist_out > 0) * brain
    # medial temporal grey matter is eroded where it faces CSF (temporal horn, ambient cistern), so the CSF spaces
    # widen into it; not at the atlas label's border, which mostly runs through tissue
    r_m = MTL_MM_PER_LEVEL * level
    tissue = mapped(mtl_e) & (data >= thr)
    dist_csf = ndimage.distance_transform_edt(data >= thr, sampling=zooms)
    w = np.maximum(w, np.clip((r_m - dist_csf) / zooms.min() + 1.0, 0, 1) * tissue)
    out = vol.data.astype(np.float32, copy=True)
    out[box] = data * (1 - w) + csf * w
    return Volume(out, vol.affine, vol.zooms, f"{vol.sha256}:native-atrophy-{level}", out.nbytes, vol.header)
