"""Scanner and acquisition differences applied to a scan as stored (native space), for evaluation: a healthy brain
should still be called CN when it comes from another scanner, protocol or field strength. Each variant takes a
nets.io.Volume and returns a new one; the engine's whole preprocessing then runs on it. None of these is what the
trainer does (it varies intensities on the engine grid after preprocessing)."""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from nets.io.nifti_loader import Volume
from nets.transforms.brain_preprocessing import rigid_scale_matrix


def _with(vol: Volume, data, affine=None, zooms=None, tag="") -> Volume:
    data = np.asarray(data, np.float32)
    return Volume(data, vol.affine if affine is None else affine, tuple(zooms or vol.zooms), f"{vol.sha256}:{tag}",
                  data.nbytes, vol.header)


def gamma(g):
    def f(vol):
        hi = float(np.percentile(vol.data, 99.5)) or 1.0
        return _with(vol, hi * np.clip(vol.data / hi, 0, None) ** g, tag=f"gamma{g}")
    return f


def bias_field(strength):
    """A linear-in-log multiplicative field across the whole field of view (coil sensitivity)."""
    def f(vol):
        x, y, z = np.meshgrid(*[np.linspace(-1, 1, s, dtype=np.float32) for s in vol.data.shape], indexing="ij")
        return _with(vol, vol.data * np.exp(strength * (0.6 * x + 0.5 * y - 0.7 * z)), tag=f"bias{strength}")
    return f


def rician_noise(share, seed=1):
    """Magnitude-image noise with sigma = share of the 99th percentile."""
    def f(vol):
        r = np.random.default_rng(seed)
        s = share * float(np.percentile(vol.data, 99))
        return _with(vol, np.hypot(vol.data + r.normal(0, s, vol.data.shape), r.normal(0, s, vol.data.shape)),
                     tag=f"noise{share}")
    return f


def thick_slices(world_axis, k):
    """k adjacent slices averaged into one along the stored axis nearest the world axis (0: left-right, sagittal
    slices; 1: front-back, coronal; 2: up-down, axial), as a 2D protocol with thick slices would store them."""
    def f(vol):
        axis = int(np.argmax(np.abs(vol.affine[world_axis, :3])))
        n = vol.data.shape[axis] // k * k
        d = np.take(vol.data, np.arange(n), axis=axis)
        shape = list(d.shape)
        shape[axis:axis + 1] = [n // k, k]
        d = d.reshape(shape).mean(axis + 1)
        aff = vol.affine.copy()
        aff[:3, 3] += aff[:3, axis] * (k - 1) / 2
        aff[:3, axis] *= k
        z = list(vol.zooms)
        z[axis] *= k
        return _with(vol, d, aff, z, tag=f"thick{world_axis}x{k}")
    return f


def tissue_contrast(c):
    """Grey/white contrast scaled by c about the white-matter level (c < 1: a flatter, 1.5 T-like T1)."""
    def f(vol):
        d = vol.data
        fg = d > np.percentile(d[d > 0], 5) if (d > 0).any() else d > 0
        wm = float(np.percentile(d[fg], 90))
        return _with(vol, np.clip(np.where(fg, wm + (d - wm) * c, d), 0, None), tag=f"contrast{c}")
    return f


def smoothing(fwhm_mm):
    def f(vol):
        return _with(vol, ndimage.gaussian_filter(vol.data, fwhm_mm / 2.355 / np.asarray(vol.zooms, float)),
                     tag=f"smooth{fwhm_mm}")
    return f


def head_tilt(degrees):
    """The head pitched in the scanner (rotation about the left-right axis)."""
    def f(vol):
        tilt = rigid_scale_matrix([0, 0, 0, np.deg2rad(degrees), 0, 0, 0, 0, 0])
        return _with(vol, vol.data, tilt @ vol.affine, tag=f"tilt{degrees}")
    return f


def head_size(scale):
    """A smaller or larger head (voxel size scaled): alignment should undo it."""
    def f(vol):
        return _with(vol, vol.data, np.diag([scale, scale, scale, 1.0]) @ vol.affine,
                     [z * scale for z in vol.zooms], tag=f"size{scale}")
    return f


ACQUISITION_VARIANTS = {
    "gamma 0.7": gamma(0.7), "gamma 1.4": gamma(1.4), "bias field 0.3": bias_field(0.3),
    "rician noise 4%": rician_noise(0.04), "3 mm axial slices": thick_slices(2, 3),
    "3 mm coronal slices": thick_slices(1, 3),
    "3 mm sagittal slices": thick_slices(0, 3), "grey/white contrast x0.7": tissue_contrast(0.7),
    "grey/white contrast x1.3": tissue_contrast(1.3), "3 mm FWHM blur": smoothing(3.0),
    "head tilted 10 deg": head_tilt(10), "head x0.9": head_size(0.9), "head x1.1": head_size(1.1)}
