"""The engine's standard space: MNI (RAS), 2 mm isotropic, 80x96x80 voxels covering the whole brain."""
import numpy as np

VOXEL_MM = 2.0
SHAPE = (80, 96, 80)
ORIGIN_MM = (-79.0, -113.0, -71.0)  # world position of voxel (0, 0, 0)


def engine_affine(voxel_mm: float = VOXEL_MM, shape=SHAPE, origin=ORIGIN_MM) -> np.ndarray:
    a = np.diag([voxel_mm, voxel_mm, voxel_mm, 1.0])
    a[:3, 3] = origin
    return a


ENGINE_AFFINE = engine_affine()
