"""Load a class-per-folder image tree into memory, with a group id per image for leakage-free splits."""
from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from nets.io.image_loader import load_image_array

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".dcm"}


@dataclass
class ImageSet:
    images: np.ndarray  # (N, H, W, C) uint8
    labels: np.ndarray  # (N,) int64
    groups: np.ndarray  # (N,) str: patient / lesion id
    files: list
    classes: list


def chest_patient_id(filename: str) -> str:
    """Kermany filenames carry the patient: personN_bacteria_M, IM-xxxx-nnnn, NORMAL2-IM-xxxx-nnnn."""
    stem = Path(filename).stem
    m = re.match(r"(person\d+)_", stem)
    if m:
        return m.group(1)
    m = re.match(r"((?:NORMAL2-)?IM-\d+)-", stem)
    if m:
        return m.group(1)
    return stem


def skin_groups(root: Path) -> dict:
    """isic_id -> lesion_id (or the image id itself when the lesion is unknown)."""
    labels = root / "labels.csv"
    out = {}
    if labels.exists():
        with open(labels, newline="") as f:
            for row in csv.DictReader(f):
                out[row["isic_id"]] = row["lesion_id"] or row["isic_id"]
    return out


def load_image_folder(root, classes, size, mode, group_fn=None, dedupe=True, progress=True) -> ImageSet:
    """Read every image under root/<class>/ resized to size x size ('L' or 'RGB')."""
    root = Path(root)
    base = root / "images" if (root / "images").is_dir() else root
    if (root / "train").is_dir() and not any((root / c).is_dir() for c in classes):
        base = root / "train"
    files, labels = [], []
    for ci, c in enumerate(classes):
        d = base / c
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.suffix.lower() in IMAGE_SUFFIXES:
                files.append(p)
                labels.append(ci)
    if not files:
        raise FileNotFoundError(f"no images under {base}/<class> for classes {classes}")
    seen, keep = {}, []
    imgs = []
    for i, p in enumerate(tqdm(files, desc=f"reading {base.name}", disable=not progress, unit="img")):
        raw = p.read_bytes()
        if dedupe:
            h = hashlib.md5(raw).hexdigest()
            if h in seen:
                continue
            seen[h] = i
        imgs.append(load_image_array(raw, size=size, mode=mode))
        keep.append(i)
    files = [files[i] for i in keep]
    labels = np.array([labels[i] for i in keep], dtype=np.int64)
    groups = np.array([group_fn(p) if group_fn else p.stem for p in files])
    arr = np.stack(imgs)
    if arr.ndim == 3:
        arr = arr[..., None]
    return ImageSet(arr, labels, groups, [str(p) for p in files], list(classes))
