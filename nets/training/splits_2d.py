"""Train/validation splits of the 2D data (chest by patient, skin by lesion over both skin folders).

The splits extend the ones the committed models were trained on, so that fine-tuning from those weights never
sees a validation image and old and new models are compared on the same held-out images:
- chest: `group_split` by patient (duplicates dropped, seed 0, 20 %), exactly as before;
- skin: the lesions of `skin_lesions/` keep their old assignment (`group_split` over that folder alone); a lesion
  that is also in `skin_ham10000/` follows it; lesions only in `skin_ham10000/` are split by `group_split` on
  their own (stratified on the lesion's label).
Stable names (another branch trains on exactly these splits): chest_split, skin_split, load_chest_set,
load_skin_set, train_val_split_2d, image_source, split_files_2d.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from nets.data.image_folder import ImageSet, chest_patient_id, load_image_folder, skin_groups
from nets.training.group_split import group_split

SKIN_FOLDERS = ("skin_lesions", "skin_ham10000")  # order matters: duplicates keep the first folder's copy
CHEST_FOLDER = "chest_xray"
# the folder of ../shared/data a task's data path names (skin: the first folder; its split reads both)
TASK_FOLDERS = {"chest": CHEST_FOLDER, "skin": SKIN_FOLDERS[0]}


def chest_split(groups, labels, val_fraction: float = 0.2, seed: int = 0):
    """(train_idx, val_idx) by patient: the committed chest model's split."""
    return group_split(np.asarray(groups), np.asarray(labels), val_fraction, seed)


def skin_split(groups, labels, sources, val_fraction: float = 0.2, seed: int = 0):
    """(train_idx, val_idx) by lesion over both folders; `sources` names each image's folder (SKIN_FOLDERS)."""
    groups, labels, sources = np.asarray(groups), np.asarray(labels), np.asarray(sources)
    old = np.where(sources == SKIN_FOLDERS[0])[0]
    val_groups = set()
    if len(old):
        _, va_old = group_split(groups[old], labels[old], val_fraction, seed)
        val_groups |= set(groups[old][va_old])
    old_groups = set(groups[old])
    new = np.array([i for i in range(len(groups)) if sources[i] != SKIN_FOLDERS[0]
                    and groups[i] not in old_groups], dtype=int)
    if len(new):
        _, va_new = group_split(groups[new], labels[new], val_fraction, seed)
        val_groups |= set(groups[new][va_new])
    val = np.array([g in val_groups for g in groups], dtype=bool)
    return np.where(~val)[0], np.where(val)[0]


def image_source(path) -> str:
    """The shared-data folder an image came from (skin_lesions / skin_ham10000 / chest_xray)."""
    parts = Path(path).parts
    for name in SKIN_FOLDERS + (CHEST_FOLDER,):
        if name in parts:
            return name
    return "unknown"


def load_chest_set(data_root, cfg, progress: bool = False) -> ImageSet:
    """Kermany train split, duplicates dropped, group = patient (data_root = the shared data folder)."""
    return load_image_folder(Path(data_root) / CHEST_FOLDER, cfg.classes, cfg.input["size"], cfg.input["mode"],
                             group_fn=lambda p: chest_patient_id(p.name), progress=progress)


def load_skin_set(data_root, cfg, progress: bool = False, folders=SKIN_FOLDERS) -> ImageSet:
    """Both skin folders resized to the same input size; group = lesion id; duplicates (md5) dropped."""
    import hashlib
    parts = []
    for name in folders:
        root = Path(data_root) / name
        if not root.is_dir():
            continue
        lesions = skin_groups(root)
        parts.append(load_image_folder(root, cfg.classes, cfg.input["size"], cfg.input["mode"],
                                       group_fn=lambda p, le=lesions: le.get(p.stem, p.stem), progress=progress))
    if not parts:
        raise FileNotFoundError(f"no skin folder under {data_root}")
    seen, keep = set(), []
    files = [f for s in parts for f in s.files]
    for i, f in enumerate(files):
        h = hashlib.md5(Path(f).read_bytes()).hexdigest()
        if h not in seen:
            seen.add(h)
            keep.append(i)
    keep = np.array(keep)
    images = np.concatenate([s.images for s in parts])[keep]
    labels = np.concatenate([s.labels for s in parts])[keep]
    groups = np.concatenate([s.groups for s in parts])[keep]
    return ImageSet(images, labels, groups, [files[i] for i in keep], list(cfg.classes))


def train_val_split_2d(task: str, data_root, cfg, progress: bool = False, val_fraction: float = 0.2, seed: int = 0):
    """(ImageSet, train_idx, val_idx) for 'chest' or 'skin' from the shared data folder."""
    if task == "chest":
        ds = load_chest_set(data_root, cfg, progress)
        tr, va = chest_split(ds.groups, ds.labels, val_fraction, seed)
    elif task == "skin":
        ds = load_skin_set(data_root, cfg, progress)
        tr, va = skin_split(ds.groups, ds.labels, [image_source(f) for f in ds.files], val_fraction, seed)
    else:
        raise ValueError(f"no 2D split for task {task!r}")
    assert not set(ds.groups[tr]) & set(ds.groups[va]), "group leakage"
    return ds, tr, va


def list_files_2d(task: str, data_root, classes=None):
    """(files, labels, groups) as the loaders above list them (class folders in the config's order, sorted names,
    exact duplicates dropped, first copy kept), without decoding any image. A folder without train/ (chest) or
    images/ (skin) holds the class folders itself (small test folders)."""
    import hashlib
    from nets.data.image_folder import IMAGE_SUFFIXES
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
    classes = classes or CONFIGS[DEFAULT_MODEL_FOR_TASK[task]].classes
    folders = (CHEST_FOLDER,) if task == "chest" else SKIN_FOLDERS
    files, labels, groups, seen = [], [], [], set()
    for name in folders:
        root = Path(data_root) / name
        if not root.is_dir():
            continue
        base = root / "train" if task == "chest" else root / "images"
        base = base if base.is_dir() else root
        lesions = skin_groups(root) if task == "skin" else {}
        for ci, c in enumerate(classes):
            for p in sorted((base / c).iterdir()) if (base / c).is_dir() else []:
                if p.suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                h = hashlib.md5(p.read_bytes()).hexdigest()
                if h in seen:
                    continue
                seen.add(h)
                files.append(p)
                labels.append(ci)
                groups.append(chest_patient_id(p.name) if task == "chest" else lesions.get(p.stem, p.stem))
    if not files:
        raise FileNotFoundError(f"no {task} images under {data_root} ({', '.join(folders)})")
    return files, np.array(labels, dtype=np.int64), np.array(groups)


def split_files_2d(task: str, data_root, val_fraction: float = 0.2, seed: int = 0):
    """(train_files, val_files): the same split as train_val_split_2d, from the file listing alone."""
    files, labels, groups = list_files_2d(task, data_root)
    if task == "chest":
        tr, va = chest_split(groups, labels, val_fraction, seed)
    else:
        tr, va = skin_split(groups, labels, [image_source(f) for f in files], val_fraction, seed)
    return [files[i] for i in tr], [files[i] for i in va]
