"""PreprocessingCache: the engine's preprocessing of a volume is deterministic and the slowest step of an MRI answer
(about 1.3 s of 3 s for demo.nii on 2 cores), so the same bytes get the same result without redoing it: from memory
(the last few volumes of this process: the demo clicked again, the same scan with an age, another model or class),
and from disk for bundled volumes only (nii/demo.nii and the MNI152 reference brain of the faithfulness check and
occlusion; written the first time each is preprocessed). Users' scans are never copied into cache/. The key holds the preprocessing code's
hash, so changed code never serves an old result."""
from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from nets.transforms.brain_preprocessing import PreprocessedBrain

SOURCES = ("brain_preprocessing.py", "templates.py", "resample.py", "engine_grid.py")


@lru_cache(maxsize=1)
def preprocessing_version() -> str:
    """Hash of the preprocessing code: a change makes new cache keys (old entries would keep old inputs)."""
    root = Path(__file__).parent
    return hashlib.sha256("".join((root / f).read_text() for f in SOURCES).encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def _key_version() -> str:
    """The cache key starts from raw bytes, so the loader that turns bytes into a Volume counts too."""
    loader = (Path(__file__).parents[1] / "io" / "nifti_loader.py").read_text()
    return hashlib.sha256((preprocessing_version() + loader).encode()).hexdigest()[:12]


@lru_cache(maxsize=4)
def _file_sha256(path: str, size: int, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def is_bundled(sha256: str, n_bytes: int, files) -> bool:
    """Is this volume one of the bundled files (same size, then same sha256; each file is hashed once per version)?"""
    for f in files:
        try:
            st = Path(f).stat()
        except OSError:
            continue
        if st.st_size == n_bytes and _file_sha256(str(f), st.st_size, st.st_mtime) == sha256:
            return True
    return False


class BuiltOnFirstUse:
    """Calls the preprocessor that `factory()` makes, made on the first miss: setting the engine's preprocessing up
    (template moments and masks, ~0.3 s) is not needed when every volume comes from the cache (the demo's cold CLI)."""

    def __init__(self, factory):
        self._factory, self._made, self._lock = factory, None, threading.Lock()

    def __call__(self, vol):
        with self._lock:
            if self._made is None:
                self._made = self._factory()
        return self._made(vol)


class PreprocessingCache:
    def __init__(self, preprocessor, max_items: int = 16, disk_dir: Path | None = None, bundled=()):
        self.preprocessor, self.max_items = preprocessor, max_items
        self.disk_dir, self.bundled = disk_dir, tuple(bundled)
        self._memory: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = {"memory": 0, "disk": 0, "computed": 0}

    def __call__(self, vol) -> PreprocessedBrain:
        return self._get(vol.sha256, vol.n_bytes, lambda: vol)

    def for_file(self, path) -> PreprocessedBrain:
        """As self(load_nifti(path)), but a stored result needs only the file's sha256: the reference brain of every
        faithfulness check is not decoded again (0.1 s of a cold start)."""
        from nets.io.nifti_loader import load_nifti
        raw = Path(path).read_bytes()
        return self._get(hashlib.sha256(raw).hexdigest(), len(raw), lambda: load_nifti(path))

    def _get(self, sha256: str, n_bytes: int, volume) -> PreprocessedBrain:
        key = f"{sha256}-{_key_version()}"
        with self._lock:
            pre = self._memory.get(key)
            if pre is not None:
                self._memory.move_to_end(key)
                self.hits["memory"] += 1
                return _copy(pre)
        on_disk = self._disk_path(key) if self._is_bundled(sha256, n_bytes) else None
        pre = _read(on_disk) if on_disk is not None else None
        source = "disk" if pre is not None else "computed"
        if pre is None:
            pre = self.preprocessor(volume())  # errors (not a brain, ...) are raised and never cached
            if on_disk is not None:
                _write(on_disk, pre)
        with self._lock:
            self.hits[source] += 1
            self._memory[key] = pre
            while len(self._memory) > self.max_items:
                self._memory.popitem(last=False)
        return _copy(pre)

    def _is_bundled(self, sha256: str, n_bytes: int) -> bool:
        return self.disk_dir is not None and is_bundled(sha256, n_bytes, self.bundled)

    def _disk_path(self, key: str) -> Path:
        return Path(self.disk_dir) / f"preprocessed-bundled-{key}.npz"


def _copy(pre: PreprocessedBrain) -> PreprocessedBrain:
    """Each result gets its own arrays: nothing a result does to its input can reach the cache."""
    return replace(pre, image=pre.image.copy(), mask=pre.mask.copy(), world_map=pre.world_map.copy(),
                   warnings=list(pre.warnings))


def _read(path: Path) -> PreprocessedBrain | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return PreprocessedBrain(z["image"], z["mask"], z["world_map"], str(z["template"]),
                                     float(z["similarity"]), [str(w) for w in z["warnings"]])
    except (OSError, ValueError, KeyError):
        return None  # a damaged entry is recomputed


def _write(path: Path, pre: PreprocessedBrain) -> None:
    """Atomic write; an unwritable cache is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}-{threading.get_ident()}.tmp.npz")  # one per writer
        np.savez(tmp, image=pre.image, mask=pre.mask, world_map=pre.world_map, template=pre.template,
                 similarity=pre.similarity, warnings=np.array(pre.warnings, dtype=str))
        tmp.replace(path)
    except OSError:
        pass
