"""What the brain-age model reads, from the engine-grid T1 (80x96x80, 2 mm, brain-masked, /99th percentile). Two
feature kinds (nets/networks/ridge_age.py fits a ridge or Gaussian-kernel ridge on one; nets/inference/brain_age.py
averages the members the model file holds):

- `gm_blocks`: the grey-matter-like share of each coarse block (voxels between the CSF and white-matter
  intensities, averaged over block^3 cubes inside the model mask): where tissue is, so it depends on alignment.
- `intensity_histogram`: the normalised histogram of intensities inside the eroded model mask, background zeros left
  out: how much CSF-, grey- and white-matter-like signal there is, whatever the alignment. The erosion keeps the
  template mask's rim out, where IXI heads keep skull and dura and skull-stripped brains have zeros.

The shipped model uses the histogram alone with a Gaussian kernel (design choice in
nets/training/train_brain_age.py and the card: nested CV inside the 75 training subjects, 7.4-7.5 years against
8.0-8.3 for the linear pair of both kinds)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from nets.transforms.binary_morphology import binary_erosion
from nets.transforms.brain_preprocessing import model_mask

GM_RANGE = (0.3, 0.75)  # normalised intensity: above CSF (nets/simulation/structures.CSF_THRESHOLD), below white matter
HIST_RANGE = (0.02, 1.1)  # below: background zeros of skull-stripped inputs; above: the /99th-percentile tail
HIST_EROSION = 2  # voxels (4 mm) taken off the model mask's rim
KINDS = ("gm_blocks", "intensity_histogram")


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


@lru_cache(maxsize=1)
def histogram_region() -> np.ndarray:
    return binary_erosion(model_mask(), iterations=HIST_EROSION)


def _check_grid(image: np.ndarray) -> None:
    if image.shape != model_mask().shape:
        raise ValueError(f"brain-age features need an engine-grid image {model_mask().shape}, got {image.shape}")


def age_features(image: np.ndarray, block: int) -> np.ndarray:
    """One float32 vector per engine-grid image: grey-matter share per block inside the mask."""
    _check_grid(image)
    gm = ((image >= GM_RANGE[0]) & (image < GM_RANGE[1]) & model_mask()).astype(np.float32)
    return block_average(gm, block)[feature_mask(block)].astype(np.float32)


def intensity_histogram(image: np.ndarray, bins: int) -> np.ndarray:
    """Share of the eroded mask's non-background voxels in each of `bins` intensity bins over HIST_RANGE."""
    _check_grid(image)
    v = image[histogram_region()]
    v = v[v > HIST_RANGE[0]]
    h, _ = np.histogram(v, bins=bins, range=HIST_RANGE)
    return (h / max(v.size, 1)).astype(np.float32)


def features(kind: str, param: int, image: np.ndarray) -> np.ndarray:
    """The feature vector of one kind: `param` is the block size (gm_blocks) or the bin count (histogram)."""
    if kind == "gm_blocks":
        return age_features(image, param)
    if kind == "intensity_histogram":
        return intensity_histogram(image, param)
    raise ValueError(f"unknown brain-age feature kind {kind!r}; known: {KINDS}")
