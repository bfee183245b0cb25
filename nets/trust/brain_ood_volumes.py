"""Volumes that are not T1-weighted brains, made from a real one or from noise, to check the MRI gate:
inverted (T2-like) contrast, smooth random blobs in a head-sized ellipsoid, a binary brain-shaped mask."""
from __future__ import annotations

from nets.io.nibabel_import import nib
import numpy as np
from scipy import ndimage


def inverted_contrast(img: nib.Nifti1Image) -> nib.Nifti1Image:
    """Inside the head, bright becomes dark (CSF bright, white matter dark, as on a T2 scan); background stays 0."""
    d = np.asanyarray(img.dataobj, dtype=np.float32)
    head = ndimage.binary_fill_holes(d > np.percentile(d[d > 0], 10) if (d > 0).any() else d > 0)
    hi = np.percentile(d[head], 99.5)
    out = np.where(head, np.clip(hi - d, 0, None) + 0.05 * hi, 0).astype(np.float32)
    return nib.Nifti1Image(out, img.affine)


def smooth_blobs(shape=(91, 109, 91), zoom_mm=2.0, seed=0, sigma_vox=3.0) -> nib.Nifti1Image:
    """Smooth random blobs (Gaussian-filtered noise) inside a head-sized ellipsoid."""
    rng = np.random.default_rng(seed)
    g = ndimage.gaussian_filter(rng.normal(size=shape), sigma_vox)
    g = (g - g.min()) / (g.max() - g.min())
    zz = np.stack(np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij"))
    ell = ((zz[0] / 0.8) ** 2 + (zz[1] / 0.9) ** 2 + (zz[2] / 0.85) ** 2) < 1
    aff = np.diag([zoom_mm, zoom_mm, zoom_mm, 1.0])
    aff[:3, 3] = -np.array(shape) * zoom_mm / 2
    return nib.Nifti1Image((g * ell * 1000).astype(np.float32), aff)


def binary_mask_of(img: nib.Nifti1Image) -> nib.Nifti1Image:
    """The head's foreground as a 0/1 volume (a segmentation, not an MRI)."""
    d = np.asanyarray(img.dataobj, dtype=np.float32)
    m = ndimage.binary_fill_holes(d > np.percentile(d[d > 0], 30))
    return nib.Nifti1Image(m.astype(np.float32) * 100, img.affine)


def non_t1_volumes(reference: nib.Nifti1Image) -> dict:
    """name -> NIfTI image that the MRI gate must refuse."""
    out = {"inverted_contrast": inverted_contrast(reference), "binary_mask": binary_mask_of(reference)}
    for s in range(3):
        out[f"smooth_blobs_{s}"] = smooth_blobs(seed=s, sigma_vox=2.0 + s)
    return out
