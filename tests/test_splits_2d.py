"""The 2D splits: by patient / lesion, old skin assignment kept, shared lesions follow skin_lesions."""
import numpy as np

from nets.training.group_split import group_split
from nets.training.splits_2d import chest_split, image_source, skin_split


def _skin_pool():
    rng = np.random.default_rng(1)
    groups, labels, sources = [], [], []
    for g in range(120):  # skin_lesions: lesions L0..L119, 1-2 images each
        for _ in range(1 + g % 2):
            groups.append(f"L{g}"), labels.append(g % 4), sources.append("skin_lesions")
    for g in range(100, 400):  # skin_ham10000: L100..L119 shared with skin_lesions, the rest new
        for _ in range(1 + int(rng.integers(0, 3))):
            groups.append(f"L{g}"), labels.append(g % 4), sources.append("skin_ham10000")
    return np.array(groups), np.array(labels), np.array(sources)


def test_skin_split_keeps_old_assignment_and_never_splits_a_lesion():
    groups, labels, sources = _skin_pool()
    tr, va = skin_split(groups, labels, sources)
    assert len(tr) + len(va) == len(groups) and not set(tr) & set(va)
    assert not set(groups[tr]) & set(groups[va])
    old = np.where(sources == "skin_lesions")[0]
    _, va_old = group_split(groups[old], labels[old], 0.2, 0)
    assert set(groups[va]) & set(groups[old]) == set(groups[old][va_old])
    new_only = [g for g in set(groups) if g not in set(groups[old])]
    frac = len([g for g in new_only if g in set(groups[va])]) / len(new_only)
    assert 0.15 < frac < 0.25
    tr2, va2 = skin_split(groups, labels, sources)
    assert np.array_equal(va, va2)


def test_chest_split_is_by_patient():
    groups = np.array([f"person{i // 3}" for i in range(300)])
    labels = np.array([(i // 3) % 2 for i in range(300)])
    tr, va = chest_split(groups, labels)
    assert not set(groups[tr]) & set(groups[va])
    assert 50 <= len(va) <= 70


def test_image_source_names_the_folder():
    assert image_source("/x/shared/data/skin_ham10000/images/NV/ISIC_1.jpg") == "skin_ham10000"
    assert image_source("../shared/data/skin_lesions/images/NV/ISIC_1.jpg") == "skin_lesions"
    assert image_source("/tmp/a.jpg") == "unknown"


def _tiny_skin_tree(root):
    import csv
    from PIL import Image
    rng = np.random.default_rng(0)
    for folder, ids in (("skin_lesions", range(0, 40)), ("skin_ham10000", range(30, 90))):
        rows = []
        for i in ids:
            label = ["MEL", "NV", "BCC"][i % 3]
            d = root / folder / "images" / label
            d.mkdir(parents=True, exist_ok=True)
            name = f"ISIC_{i:07d}" if folder == "skin_lesions" else f"ISIC_{i + 1000:07d}"
            Image.fromarray(rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)).save(d / f"{name}.jpg")
            rows.append({"isic_id": name, "lesion_id": f"HAM_{i // 2}"})
        with open(root / folder / "labels.csv", "w", newline="") as f:
            w = csv.DictWriter(f, ["isic_id", "lesion_id"])
            w.writeheader()
            w.writerows(rows)


def test_file_listing_split_equals_the_loaded_split(tmp_path):
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
    from nets.training.splits_2d import split_files_2d, train_val_split_2d
    _tiny_skin_tree(tmp_path)
    ds, tr, va = train_val_split_2d("skin", tmp_path, CONFIGS[DEFAULT_MODEL_FOR_TASK["skin"]])
    trf, vaf = split_files_2d("skin", tmp_path)
    assert [str(f) for f in vaf] == [ds.files[i] for i in va] and [str(f) for f in trf] == [ds.files[i] for i in tr]
    assert len(ds.files) == 100 and len(va) > 0
    assert not {ds.groups[i] for i in tr} & {ds.groups[i] for i in va}
