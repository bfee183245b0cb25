"""A second atrophy generator, used only to evaluate (never to train), to check that the model learned atrophy and
not the training generator (nets/simulation/atrophy.py): radial expansion about fixed MNI points in the lateral
ventricles and radial contraction about the hippocampi; no segmentation, no intensity replacement, no darkening."""
import numpy as np
from scipy import ndimage

from nets.simulation.structures import voxel_grid
from nets.transforms.engine_grid import ENGINE_AFFINE

VENTRICLES_MM = [(-14, -8, 18), (14, -8, 18), (-22, -40, 8), (22, -40, 8)]
HIPPOCAMPI_MM = [(-26, -22, -14), (26, -22, -14)]


def _to_voxel(mm):
    return np.linalg.solve(ENGINE_AFFINE, np.r_[mm, 1.0])[:3]


def radial_atrophy(image: np.ndarray, level: int) -> np.ndarray:
    """level 0..4; returns a new engine-grid volume (same intensity scale)."""
    if level == 0:
        return image.copy()
    g = voxel_grid()
    d = np.zeros_like(g)
    for centres, radius_vox, amp in ((VENTRICLES_MM, 9.0, -0.09 * level), (HIPPOCAMPI_MM, 6.0, 0.1 * level)):
        for c in centres:
            diff = g - _to_voxel(c).astype(np.float32).reshape(3, 1, 1, 1)
            d += amp * np.exp(-(diff ** 2).sum(0) / (2 * radius_vox ** 2)) * diff
    out = ndimage.map_coordinates(image, g + d, order=1, mode="nearest")
    return np.where(image > 0, out, 0).astype(np.float32)
