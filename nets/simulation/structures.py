"""Where atrophy happens, on the engine grid: the subject's own lateral ventricles (segmented from its image) and the
medial temporal lobe (AAL hippocampus, parahippocampal gyrus, amygdala, registered with the template)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import ndimage

from nets.transforms.engine_grid import ENGINE_AFFINE, SHAPE
from nets.transforms.templates import get_templates

MEDIAL_TEMPORAL_AAL = (37, 38, 39, 40, 41, 42)  # hippocampus, parahippocampal gyrus, amygdala (L/R)
CSF_THRESHOLD = 0.3  # on the engine's p99-normalised intensities


@lru_cache(maxsize=1)
def voxel_grid() -> np.ndarray:
    """(3, *SHAPE) float32 voxel indices of the engine grid, for sampling at grid + displacement (read-only)."""
    g = np.stack(np.meshgrid(*[np.arange(s, dtype=np.float32) for s in SHAPE], indexing="ij"), 0)
    g.setflags(write=False)
    return g


@lru_cache(maxsize=1)
def world_coordinates() -> np.ndarray:
    ijk = np.stack(np.meshgrid(*[np.arange(s) for s in SHAPE], indexing="ij"), -1)
    return ijk @ ENGINE_AFFINE[:3, :3].T + ENGINE_AFFINE[:3, 3]


@lru_cache(maxsize=1)
def central_region() -> np.ndarray:
    """A box around the lateral ventricles in MNI space (mm)."""
    c = world_coordinates()
    return ((np.abs(c[..., 0]) < 30) & (c[..., 1] > -55) & (c[..., 1] < 35) & (c[..., 2] > -8) & (c[..., 2] < 40))


@lru_cache(maxsize=1)
def template_ventricle_seed() -> np.ndarray:
    t = get_templates()
    seed = t.brain_mask & (t.brain < 0.35) & central_region()
    return ndimage.binary_opening(seed)


@lru_cache(maxsize=1)
def medial_temporal_mask() -> np.ndarray:
    t = get_templates()
    if t.atlas is None:
        raise RuntimeError("AAL atlas missing: install Debian mricron-data")
    return np.isin(t.atlas, MEDIAL_TEMPORAL_AAL)


@lru_cache(maxsize=1)
def medial_temporal_soft() -> np.ndarray:
    """The medial temporal mask with soft (partial-volume) edges."""
    return ndimage.gaussian_filter(medial_temporal_mask().astype(np.float32), 1.0)


def ventricle_mask(image: np.ndarray) -> np.ndarray:
    """The subject's lateral ventricles: dark voxels in the central box connected to the template's ventricle core
    (the interhemispheric fissure and sulci are dark too but do not touch the core)."""
    seed = template_ventricle_seed()
    # low-contrast averages (the MNI152 template) have brighter CSF: follow the image, within bounds
    thr = float(np.clip(np.median(image[seed]) + 0.05, CSF_THRESHOLD, 0.4))
    dark = (image < thr) & (image > 0) & central_region() & get_templates().brain_mask
    dark = ndimage.binary_opening(dark)
    labels, n = ndimage.label(dark)
    if n == 0:
        return seed.copy()
    hit = np.unique(labels[ndimage.binary_dilation(seed, iterations=2) & (labels > 0)])
    v = np.isin(labels, hit[hit > 0])
    # a subject whose ventricles are not separable falls back to the template core (never the whole fissure)
    if v.sum() < 100 or v.sum() > 12000:
        return seed.copy()
    return v
