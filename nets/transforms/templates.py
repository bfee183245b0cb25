"""Reference templates on the engine grid, built once per process from installed packages.

- brain: MNI152 2009 (nilearn, skull-stripped) and its brain mask; grey/white matter maps (nilearn)
- head:  Colin27 with skull (Debian mricron-data), used to align inputs that still have a skull
- atlas: AAL (Debian mricron-data) for the region table
Resampling them takes ~1 s and an import of nilearn; the results are kept in cache/ (nets/disk_cache.py) under a
content hash of the source files and of this code, so a fresh process reads one .npz instead.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

from nets.io.nibabel_import import nib
import numpy as np

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


def _nilearn_data_dir() -> Path:
    import importlib.util
    return Path(importlib.util.find_spec("nilearn").origin).parent / "datasets" / "data"


def _sources() -> list:
    """The files the templates are made from, and the code that makes them (the cache key)."""
    here = Path(__file__).resolve().parent
    nl = _nilearn_data_dir()
    return [nl / f"mni_icbm152_{k}_tal_nlin_sym_09a_converted.nii.gz" for k in ("t1", "gm", "wm")] + [
        COLIN27_HEAD, AAL, here / "templates.py", here / "engine_grid.py", here / "resample.py"]


@functools.lru_cache(maxsize=1)
def _load() -> Templates:
    from nets.disk_cache import cached_arrays
    from importlib.metadata import version
    a = cached_arrays("templates", _sources(), _build, extra=f"nilearn {version('nilearn')}")
    return Templates(a["brain"], a["brain_mask"], a["gm"], a["wm"], a["head"], a["head_mask"], a["atlas"],
                     _read_aal_names() if a["atlas"] is not None else {})


def _build() -> dict:
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
        from scipy import ndimage  # building the templates only (once, then cache/)
        head_mask = ndimage.binary_fill_holes(head > 0.15)
    if AAL.exists():
        atlas = np.rint(_on_grid(nib.load(str(AAL)), order=0)).astype(np.int16)
    return {"brain": brain, "brain_mask": mask, "gm": _on_grid(gm), "wm": _on_grid(wm), "head": head,
            "head_mask": head_mask, "atlas": atlas}


def get_templates() -> Templates:
    with _lock:
        return _load()
