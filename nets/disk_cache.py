"""Arrays that are slow to build and depend only on installed files (templates, atlas on the engine grid) are kept
in cache/ (ignored by git) under a content hash of their sources and of the code that builds them: a changed
template, package or code version simply builds and writes a new file. An unwritable cache is not an error."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

import numpy as np

from nets import PROJECT_ROOT

CACHE_DIR = Path(os.environ.get("XAI_CACHE_DIR") or PROJECT_ROOT / "cache")


def content_hash(sources, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for p in sources:
        p = Path(p)
        h.update(str(p.name).encode())
        if p.exists():
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        else:
            h.update(b"<missing>")
    return h.hexdigest()[:20]


def cached_arrays(name: str, sources, build: Callable[[], dict], extra: str = "") -> dict:
    """build() -> {key: ndarray or None}; loaded from cache/<name>-<hash>.npz when present."""
    path = CACHE_DIR / f"{name}-{content_hash(sources, extra)}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                present = set(z["__present__"].tolist())
                return {k: (z[k] if k in present else None) for k in z["__keys__"].tolist()}
        except (OSError, ValueError, KeyError):
            pass  # a damaged file: build again
    arrays = build()
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        keys = list(arrays)
        present = [k for k in keys if arrays[k] is not None]
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, __keys__=np.array(keys), __present__=np.array(present, dtype=str),
                 **{k: arrays[k] for k in present})
        tmp.replace(path)  # atomic: concurrent first runs never read half a file
    except OSError:
        pass
    return arrays
