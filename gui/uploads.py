"""Uploads are stored under nii/ (volumes) or nii/images/ with server-generated names, never the user's filename.
A retention rule removes uploads and rendered images older than RETENTION_HOURS."""
import hashlib
import shutil
import time
import uuid

from nets import PROJECT_ROOT

UPLOAD_DIR = PROJECT_ROOT / "nii"
IMGS_DIR = PROJECT_ROOT / "imgs"
RETENTION_HOURS = 24


def store_upload(raw: bytes, task: str) -> dict:
    sha = hashlib.sha256(raw).hexdigest()
    kind = "volume" if task == "mri" else "image"
    d = UPLOAD_DIR / ("uploads" if kind == "volume" else "uploads_images")
    d.mkdir(parents=True, exist_ok=True)
    suffix = ".nii.gz" if raw[:2] == b"\x1f\x8b" else (".nii" if kind == "volume" else ".img")
    p = d / f"{time.strftime('%Y%m%d')}_{uuid.uuid4().hex}{suffix}"
    p.write_bytes(raw)
    return {"path": str(p), "sha256": sha, "kind": kind}


def clean_old(hours: float = RETENTION_HOURS) -> int:
    cutoff = time.time() - hours * 3600
    n = 0
    for root in (UPLOAD_DIR / "uploads", UPLOAD_DIR / "uploads_images", IMGS_DIR / "img_raw", IMGS_DIR / "img_hot",
                 IMGS_DIR / "img_merge", IMGS_DIR / "img_occlusion", IMGS_DIR / "montage"):
        if not root.is_dir():
            continue
        for p in root.iterdir():
            try:
                if p.stat().st_mtime < cutoff:
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
                    n += 1
            except OSError:
                pass
    return n
