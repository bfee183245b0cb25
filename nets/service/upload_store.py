"""Uploads are stored under nii/ (volumes) or nii/images/ with server-generated names, never the user's filename.

Retention, by age and by size (oldest first), separately for uploads (nii/uploads*) and rendered images
(imgs/img_*, imgs/montage): anything older than RETENTION_HOURS goes, then the oldest entries until each stays
within its budget. Configurable by environment (XAI_RETENTION_HOURS=24, XAI_UPLOADS_MAX_MB=1024,
XAI_IMGS_MAX_MB=1024) or demo01.py flags; applied at start, hourly, and at most every CHECK_EVERY_S after an upload.
"""
import hashlib
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

from nets import PROJECT_ROOT

# XAI_UPLOADS_DIR / XAI_IMGS_DIR move them (the tests' servers write into temporary folders)
UPLOAD_DIR = Path(os.environ.get("XAI_UPLOADS_DIR") or PROJECT_ROOT / "nii")
IMGS_DIR = Path(os.environ.get("XAI_IMGS_DIR") or PROJECT_ROOT / "imgs")
UPLOAD_SUBDIRS = ("uploads", "uploads_images")
IMG_SUBDIRS = ("img_raw", "img_hot", "img_merge", "img_occlusion", "montage")  # and any other imgs/img_*
CHECK_EVERY_S = 30


def _env_float(name, default):
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return float(default)


RETENTION_HOURS = _env_float("XAI_RETENTION_HOURS", 24)
UPLOADS_MAX_MB = _env_float("XAI_UPLOADS_MAX_MB", 1024)
IMGS_MAX_MB = _env_float("XAI_IMGS_MAX_MB", 1024)

_last_check = 0.0
_check_lock = threading.Lock()


def configure(hours=None, uploads_mb=None, imgs_mb=None) -> None:
    """Set the retention rule (demo01.py flags); None keeps the current value."""
    global RETENTION_HOURS, UPLOADS_MAX_MB, IMGS_MAX_MB
    RETENTION_HOURS = RETENTION_HOURS if hours is None else float(hours)
    UPLOADS_MAX_MB = UPLOADS_MAX_MB if uploads_mb is None else float(uploads_mb)
    IMGS_MAX_MB = IMGS_MAX_MB if imgs_mb is None else float(imgs_mb)


def store_upload(raw: bytes, task: str) -> dict:
    sha = hashlib.sha256(raw).hexdigest()
    kind = "volume" if task == "mri" else "image"
    d = UPLOAD_DIR / ("uploads" if kind == "volume" else "uploads_images")
    d.mkdir(parents=True, exist_ok=True)
    suffix = ".nii.gz" if raw[:2] == b"\x1f\x8b" else (".nii" if kind == "volume" else ".img")
    p = d / f"{time.strftime('%Y%m%d')}_{uuid.uuid4().hex}{suffix}"
    p.write_bytes(raw)
    clean_soon()
    return {"path": str(p), "sha256": sha, "kind": kind}


def upload_roots():
    return [UPLOAD_DIR / s for s in UPLOAD_SUBDIRS]


def image_roots():
    extra = sorted(p for p in IMGS_DIR.glob("img_*") if p.is_dir() and p.name not in IMG_SUBDIRS) \
        if IMGS_DIR.is_dir() else []
    return [IMGS_DIR / s for s in IMG_SUBDIRS] + extra


def _entries(roots) -> list:
    """(mtime, bytes, path) of every stored upload or run folder under roots."""
    out = []
    for root in roots:
        if not root.is_dir():
            continue
        for p in root.iterdir():
            try:
                st = p.stat()
                size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else st.st_size
                out.append((st.st_mtime, size, p))
            except OSError:
                pass  # removed meanwhile
    return out


def _remove(p) -> bool:
    try:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
        return True
    except OSError:
        return False


def clean_old(hours: float | None = None) -> int:
    """Remove uploads and images older than `hours` (default RETENTION_HOURS); returns how many entries went."""
    cutoff = time.time() - (RETENTION_HOURS if hours is None else hours) * 3600
    return sum(_remove(p) for mtime, _, p in _entries(upload_roots() + image_roots()) if mtime < cutoff)


def enforce_size(roots, max_mb: float) -> int:
    """Remove the oldest entries under roots until their total is at most max_mb; returns how many went. Entries
    of one run (the same name, e.g. img_raw/<run_id>/ and montage/<run_id>.png) go together."""
    runs = {}
    for mtime, size, p in _entries(roots):
        key = p.name.split(".")[0]
        t, b, paths = runs.get(key, (0.0, 0, []))
        runs[key] = (max(t, mtime), b + size, paths + [p])
    total, budget, n = sum(r[1] for r in runs.values()), max_mb * 2**20, 0
    for _, size, paths in sorted(runs.values(), key=lambda r: r[0]):
        if total <= budget:
            break
        n += sum(_remove(p) for p in paths)
        total -= size
    return n


def clean() -> dict:
    """The whole retention rule: age first, then size per store."""
    old = clean_old()
    return {"removed_old": old, "removed_uploads_for_size": enforce_size(upload_roots(), UPLOADS_MAX_MB),
            "removed_images_for_size": enforce_size(image_roots(), IMGS_MAX_MB)}


def clean_soon() -> None:
    """Apply the rule in the background, at most every CHECK_EVERY_S (called after each upload)."""
    global _last_check
    with _check_lock:
        if time.time() - _last_check < CHECK_EVERY_S:
            return
        _last_check = time.time()
    threading.Thread(target=clean, name="retention", daemon=True).start()
