"""Resampling helpers: one interpolation from any voxel grid into a target grid through world coordinates."""
import numpy as np


# below this many output points a second thread costs more CPU than it saves
SPLIT_MIN_POINTS = 50_000


def resample_to_grid(data, affine, target_affine, target_shape, world_map=None, order=1, cval=0.0):
    """Sample `data` (voxel->world `affine`) on a target grid. `world_map` maps target world -> source world.
    A large grid is sampled in two halves along its first axis, the first on a helper thread when it is free
    (scipy releases the GIL): the final 2 mm grid takes about half the wall time on 2 cores. The values are one
    pass's (the halves' offsets round differently: equal to float32 precision, nearly always bit for bit)."""
    m = np.linalg.inv(affine) @ (world_map if world_map is not None else np.eye(4)) @ target_affine
    src = np.asarray(data, dtype=np.float32)
    n0 = int(target_shape[0])

    def rows(lo, hi):
        from scipy import ndimage  # here: a result from cached preprocessing never resamples
        return ndimage.affine_transform(src, m[:3, :3], offset=m[:3, 3] + m[:3, 0] * lo,
                                        output_shape=(hi - lo, *target_shape[1:]), order=order, cval=cval,
                                        prefilter=False)
    if n0 < 2 or np.prod(target_shape) < SPLIT_MIN_POINTS:
        return rows(0, n0)
    from nets.helper_threads import submit_if_free
    first = submit_if_free("resample", rows, 0, n0 // 2)  # None when the helper is busy (a loaded server)
    second = rows(n0 // 2, n0)
    return np.concatenate([first.result() if first else rows(0, n0 // 2), second], axis=0)


def grid_sampler(data, affine, target_affine, points, world_map_fn=None, order=1, cval=0.0):
    """A function p -> `data` sampled at `points` (N x 3 integer indices of the target grid) under the world map
    `world_map_fn(p)`: the values `resample_to_grid` gives at those voxels, without sampling the rest. An alignment
    that scores only a mask's voxels samples a third to a half of its grid."""
    src = np.asarray(data, dtype=np.float32)
    inv = np.linalg.inv(affine)
    pts = np.asarray(points, dtype=np.float64).T  # 3 x N

    def sample(p):
        from scipy import ndimage
        m = inv @ world_map_fn(p) @ target_affine
        coords = m[:3, :3] @ pts + m[:3, 3:4]
        return ndimage.map_coordinates(src, coords, order=order, cval=cval, prefilter=False)
    return sample


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
