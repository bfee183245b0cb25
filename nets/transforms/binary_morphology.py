"""Binary dilation and erosion with the 6-neighbour cross, iterated, as scipy.ndimage's defaults (tested equal).

The fixed masks every MRI result needs (the model mask, the eroded regions of the brain-age histogram and the T1
contrast gate) are made with these, so a result whose preprocessing comes from the cache never imports
scipy.ndimage (0.15 s of a cold start: it parses 169 docstrings at import)."""
import numpy as np


def _grow(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    for axis in range(mask.ndim):
        lo = [slice(None)] * mask.ndim
        hi = [slice(None)] * mask.ndim
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        out[tuple(lo)] |= mask[tuple(hi)]
        out[tuple(hi)] |= mask[tuple(lo)]
    return out


def binary_dilation(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    m = np.asarray(mask, bool)
    for _ in range(iterations):
        m = _grow(m)
    return m


def binary_erosion(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """Outside the array counts as background (scipy's border_value=0): border voxels are eroded."""
    m = np.pad(np.asarray(mask, bool), 1)
    for _ in range(iterations):
        m = ~_grow(~m)
        m[[0, -1]] = False
        m[:, [0, -1]] = False
        m[..., [0, -1]] = False
    return m[(slice(1, -1),) * m.ndim]
