"""The real brains used as anatomical basis for simulated atrophy, preprocessed once to the engine grid and cached."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from nets import PROJECT_ROOT
from nets.io.nifti_loader import load_nifti
from nets.transforms.brain_preprocessing import BrainPreprocessor
from nets.transforms.templates import COLIN27_HEAD

CACHE = PROJECT_ROOT / "cache"


def mni152_file() -> Path:
    """The MNI152 2009 T1 template as nilearn installs it (skull-stripped, 1 mm)."""
    import nilearn
    return Path(nilearn.__file__).parent / "datasets" / "data" / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"


def subject_files(data_dir) -> dict:
    d = Path(data_dir)
    t1 = d / "brain_t1" if (d / "brain_t1").is_dir() else d
    files = {p.name.split("_")[0]: p for p in sorted(t1.glob("sub-*_T1w.nii*"))}
    if COLIN27_HEAD.exists():
        files["colin27"] = COLIN27_HEAD
    mni = mni152_file()
    if mni.exists():
        files["mni152"] = mni
    return files


def load_subjects(data_dir, progress=True, limit=None) -> dict:
    files = subject_files(data_dir)
    if limit:
        files = dict(list(files.items())[:limit])
    CACHE.mkdir(exist_ok=True)
    cache = CACHE / f"brains_engine_grid_{_preprocessing_version()}.npz"
    have = dict(np.load(cache)) if cache.exists() else {}
    missing = [k for k in files if k not in have]
    if missing:
        prep = BrainPreprocessor()
        for k in tqdm(missing, desc="preprocessing brains", disable=not progress):
            have[k] = prep(load_nifti(files[k])).image
        np.savez_compressed(cache, **have)
    return {k: have[k] for k in files}


def _preprocessing_version() -> str:
    """A change to the preprocessing code makes a new cache file (an old one would silently keep old inputs)."""
    import hashlib
    root = Path(__file__).parents[1]
    src = "".join((root / "transforms" / f).read_text() for f in
                  ("brain_preprocessing.py", "templates.py", "resample.py", "engine_grid.py"))
    return hashlib.sha256(src.encode()).hexdigest()[:12]
