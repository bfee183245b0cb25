"""Resampling helpers: one interpolation from any voxel grid into a target grid through world coordinates."""
import numpy as np


def resample_to_grid(data, affine, target_affine, target_shape, world_map=None, order=1, cval=0.0):
    """Sample `data` (voxel->world `affine`) on a target grid. `world_map` maps target world -> source world."""
    from scipy import ndimage  # here: a result from cached preprocessing never resamples
    m = np.linalg.inv(affine) @ (world_map if world_map is not None else np.eye(4)) @ target_affine
    return ndimage.affine_transform(np.asarray(data, dtype=np.float32), m[:3, :3], offset=m[:3, 3],
                                    output_shape=tuple(target_shape), order=order, cval=cval, prefilter=False)


def block_mean(data, affine, target_mm):
    """Integer-factor block averaging towards target_mm: cheap anti-aliasing before a coarse resample."""
    zooms = np.sqrt((affine[:3, :3] ** 2).sum(0))
    f = [max(1, int(np.floor(target_mm / z + 1e-3))) for z in zooms]
    if f == [1, 1, 1]:
        return data, affine
    s = [(n // k) * k for n, k in zip(data.shape, f)]
    d = data[:s[0], :s[1], :s[2]].reshape(s[0] // f[0], f[0], s[1] // f[1], f[1], s[2] // f[2], f[2]).mean((1, 3, 5))
    a = affine.copy()
    a[:3, :3] = affine[:3, :3] * np.array(f)[None, :]
    # the centre of block 0 sits at the mean of its source voxels
    a[:3, 3] = affine[:3, :3] @ ((np.array(f) - 1) / 2.0) + affine[:3, 3]
    return d.astype(np.float32), a
