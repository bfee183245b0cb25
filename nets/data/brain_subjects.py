"""The real brains used as anatomical basis for simulated atrophy and for brain age, preprocessed once to the engine
grid and cached: ds002748 (`sub-XX`, skull-stripped, CC0), IXI (`IXIxxx`, whole heads, CC BY-SA 3.0), and the
Colin27 / MNI152 templates."""
from __future__ import annotations

import json
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
    ixi = d / "brain_t1_ixi"
    files.update({p.name.split("_")[0]: p for p in sorted(ixi.glob("IXI*_T1w.nii*"))} if ixi.is_dir() else {})
    if COLIN27_HEAD.exists():
        files["colin27"] = COLIN27_HEAD
    mni = mni152_file()
    if mni.exists():
        files["mni152"] = mni
    return files


def load_subjects(data_dir, progress=True, limit=None, only=None) -> dict:
    """{subject: engine-grid image}; only: these subjects (the others are neither preprocessed nor returned)."""
    files = subject_files(data_dir)
    if only is not None:
        files = {k: v for k, v in files.items() if k in set(only)}
    if limit:
        files = dict(list(files.items())[:limit])
    CACHE.mkdir(exist_ok=True)
    cache = CACHE / f"brains_engine_grid_{_preprocessing_version()}.npz"
    have = dict(np.load(cache)) if cache.exists() else {}
    missing = [k for k in files if k not in have]
    if missing:
        prep = BrainPreprocessor()
        sims = _read_similarity(cache)
        for k in tqdm(missing, desc="preprocessing brains", disable=not progress):
            pb = prep(load_nifti(files[k]))
            have[k], sims[k] = pb.image, round(float(pb.similarity), 4)
        np.savez_compressed(cache, **have)
        cache.with_suffix(".similarity.json").write_text(json.dumps(sims, indent=0, sort_keys=True))
    return {k: have[k] for k in files}


def is_real_subject(name: str) -> bool:
    """A real person's scan (ds002748 `sub-XX` or IXI `IXIxxx`), not a template."""
    return name.startswith(("sub-", "IXI"))


def source_of(name: str) -> str:
    return "ixi" if name.startswith("IXI") else "ds002748" if name.startswith("sub-") else "template"


def _read_similarity(cache: Path) -> dict:
    p = cache.with_suffix(".similarity.json")
    return json.loads(p.read_text()) if p.exists() else {}


def similarity_to_template(data_dir) -> dict:
    """Per subject, the engine's alignment measure (NCC with the MNI brain template inside its brain mask), as
    recorded when the subject was preprocessed into the cache."""
    load_subjects(data_dir, progress=False)
    return _read_similarity(CACHE / f"brains_engine_grid_{_preprocessing_version()}.npz")


def _preprocessing_version() -> str:
    """A change to the preprocessing code makes a new cache file (an old one would silently keep old inputs)."""
    from nets.transforms.preprocessing_cache import preprocessing_version
    return preprocessing_version()
