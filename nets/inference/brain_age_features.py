"""What the brain-age model reads: the grey-matter-like share of each coarse block of the engine-grid T1 (80x96x80,
2 mm, brain-masked, /99th percentile): voxels between the CSF and white-matter intensities, averaged over block^3
cubes inside the model mask. Shared by training and serving, so both see the same numbers. (Chosen by 5-fold
cross-validation over all 97 subjects among raw intensity, CSF share, grey-matter share, AAL regional means and
RBF kernels: grey-matter share in 8 mm blocks, MAE 7.9, was best; raw intensity 9.0, regional 8.7.)"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from nets.transforms.brain_preprocessing import model_mask

GM_RANGE = (0.3, 0.75)  # normalised intensity: above CSF (nets/simulation/structures.CSF_THRESHOLD), below white matter


def block_average(image: np.ndarray, block: int) -> np.ndarray:
    """Mean over non-overlapping block^3 cubes (the grid's sides are cut to multiples of `block`)."""
    if block == 1:
        return image.astype(np.float32)
    s = [(n // block) * block for n in image.shape]
    x = image[:s[0], :s[1], :s[2]]
    return x.reshape(s[0] // block, block, s[1] // block, block, s[2] // block, block).mean((1, 3, 5))


@lru_cache(maxsize=4)
def feature_mask(block: int) -> np.ndarray:
    """The coarse cubes that are at least half inside the model mask."""
    return block_average(model_mask().astype(np.float32), block) >= 0.5


def age_features(image: np.ndarray, block: int) -> np.ndarray:
    """One float32 vector per engine-grid image: grey-matter share per block inside the mask."""
    if image.shape != model_mask().shape:
        raise ValueError(f"brain-age features need an engine-grid image {model_mask().shape}, got {image.shape}")
    gm = ((image >= GM_RANGE[0]) & (image < GM_RANGE[1]) & model_mask()).astype(np.float32)
    return block_average(gm, block)[feature_mask(block)].astype(np.float32)
