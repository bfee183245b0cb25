"""Reference templates on the engine grid, built once per process from installed packages.

- brain: MNI152 2009 (nilearn, skull-stripped) and its brain mask; grey/white matter maps (nilearn)
- head:  Colin27 with skull (Debian mricron-data), used to align inputs that still have a skull
- atlas: AAL (Debian mricron-data) for the region table
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from nets.transforms.engine_grid import ENGINE_AFFINE, SHAPE
from nets.transforms.resample import resample_to_grid

MRICRON = Path("/usr/share/mricron/templates")
COLIN27_HEAD = MRICRON / "ch2.nii.gz"
AAL = MRICRON / "aal.nii.gz"
AAL_NAMES = MRICRON / "aal.nii.txt"
_lock = threading.Lock()


@dataclass
class Templates:
    brain: np.ndarray
    brain_mask: np.ndarray  # bool
    gm: np.ndarray
    wm: np.ndarray
    head: np.ndarray | None
    head_mask: np.ndarray | None
    atlas: np.ndarray | None  # int labels
    atlas_names: dict


def _on_grid(img, order=1):
    return resample_to_grid(np.asanyarray(img.dataobj, dtype=np.float32), img.affine, ENGINE_AFFINE, SHAPE,
                            order=order)


def _read_aal_names():
    names = {}
    if AAL_NAMES.exists():
        for line in AAL_NAMES.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].isdigit():
                names[int(parts[0])] = parts[1]
    return names


@functools.lru_cache(maxsize=1)
def _load() -> Templates:
    from nilearn import datasets
    t = datasets.load_mni152_template(resolution=1)
    m = datasets.load_mni152_brain_mask(resolution=1)
    gm = datasets.load_mni152_gm_template(resolution=1)
    wm = datasets.load_mni152_wm_template(resolution=1)
    brain = _on_grid(t)
    mask = _on_grid(m) > 0.5
    brain = brain / np.percentile(brain[mask], 99)
    head = head_mask = atlas = None
    if COLIN27_HEAD.exists():
        hi = nib.load(str(COLIN27_HEAD))
        head = _on_grid(hi)
        head = head / np.percentile(head[head > 0], 99)
        head_mask = ndimage.binary_fill_holes(head > 0.15)
    names = {}
    if AAL.exists():
        atlas = np.rint(_on_grid(nib.load(str(AAL)), order=0)).astype(np.int16)
        names = _read_aal_names()
    return Templates(brain, mask, _on_grid(gm), _on_grid(wm), head, head_mask, atlas, names)


def get_templates() -> Templates:
    with _lock:
        return _load()
