"""Fit the MRI model's input gate (tissue contrast, nets/trust/brain_contrast.py) and its temperature.

Gate thresholds come from the training subjects' real scans only (ds002748 training subjects), as fractions of the
smallest contrast seen there (FACTORS: WM-GM flag 0.75, refuse 0.5; GM-CSF flag 0.5, never refuses). Reported on everything else the project handles: held-out
subjects, the 65 IXI heads (skull on, 2 mm, PSR, uint8 with scale factor), demo.nii, Colin27 at 2 mm (and flipped),
the ITK example head, and on volumes that are not T1 brains (inverted contrast, smooth random blobs, a binary
mask, AdrenalMNIST3D shapes). Temperature: the held-out subjects' simulated volumes as nets.evaluate makes them."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nets.trust.brain_contrast import FEATURES, BrainGate, tissue_contrast
from nets.trust.input_gate import gate_path_for

# (flag, refuse) x training minimum. GM-CSF only flags: after an affine alignment a head's ventricles may miss the
# template's (older, skull-on IXI heads), and inverted contrast and blobs already fail WM-GM.
FACTORS = {"wm_gm_contrast": (0.75, 0.5), "gm_csf_contrast": (0.5, None)}
ITK_HEAD = Path("/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz")


def _contrast_of_file(prep, path):
    from nets.errors import CorruptFileError, InputError
    from nets.io.nifti_loader import load_nifti
    note = {}
    try:
        try:
            vol = load_nifti(path)
        except CorruptFileError as e:  # the project's reader refuses some headers (IXI's extension): judge the
            vol, note = nibabel_volume(path), {"reader": e.message}  # gate on nibabel's reading of the same file
        pre = prep(vol)
    except InputError as e:
        return {"error": e.code, "message": e.message}
    return {**tissue_contrast(pre.image), "similarity": pre.similarity, "template": pre.template, **note}


def nibabel_volume(path):
    import nibabel as nib
    from nets.io.nifti_loader import Volume
    img = nib.load(str(path))
    data = np.asarray(img.get_fdata(dtype=np.float32))
    return Volume(data, img.affine, tuple(float(z) for z in img.header.get_zooms()[:3]), "", 0)


def _contrast_of_image(prep, img):
    import nibabel as nib
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "v.nii.gz"
        nib.save(img, str(p))
        return _contrast_of_file(prep, p)


def other_real_t1(data: Path) -> dict:
    from nets import PROJECT_ROOT
    files = {p.name.split("_")[0]: p for p in sorted((data / "brain_t1_ixi").glob("IXI*_T1w.nii*"))}
    for p in (PROJECT_ROOT / "nii" / "demo.nii", PROJECT_ROOT / "readme_static/test/colin27_2mm.nii.gz",
              PROJECT_ROOT / "readme_static/test/colin27_2mm_flipped.nii.gz", ITK_HEAD):
        if p.exists():
            files[p.name] = p
    return files


def non_t1_inputs(data: Path) -> dict:
    import nibabel as nib
    from nets.demo_volume import ensure_demo
    from nets.trust.brain_ood_volumes import non_t1_volumes
    out = non_t1_volumes(nib.load(str(ensure_demo())))
    z = data / "adrenalmnist3d_64.npz"
    if z.exists():
        arr = np.load(z)["test_images"][:3]
        for i, a in enumerate(arr):
            out[f"adrenalmnist3d_{i}"] = nib.Nifti1Image(np.asarray(a, np.float32) * 255, np.diag([2, 2, 2, 1.0]))
    return out


def _accepted(gate, c):
    if "error" in c:
        return "refused_by_preprocessing:" + c["error"]
    lv = [("refuse" if c[f] < gate.refuse[f] else "flag" if c[f] < gate.flag[f] else "ok") for f in FEATURES]
    return "refuse" if "refuse" in lv else "flag" if "flag" in lv else "ok"


def fit_brain_trust(data: Path, weights=None) -> dict:
    from nets.data.brain_subjects import load_subjects
    from nets.registry import ModelRegistry
    from nets.model_card import card_path_for
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    m = ModelRegistry().get(task="mri", weights=weights)
    card_file = card_path_for(Path(m.weights_path))
    split = m.card["split"]
    brains = load_subjects(data, progress=False)
    from nets.data.brain_subjects import is_real_subject
    train_s = [s for s in split["train_subjects"] if is_real_subject(s) and s in brains]
    train_c = {s: tissue_contrast(brains[s]) for s in train_s}
    low = {f: min(c[f] for c in train_c.values()) for f in FEATURES}
    gate = BrainGate({f: FACTORS[f][0] * low[f] for f in FEATURES},
                     {f: FACTORS[f][1] * low[f] if FACTORS[f][1] is not None else -np.inf for f in FEATURES},
                     m.card.get("sha256", ""))
    gate.save(gate_path_for(m.weights_path))
    prep = BrainPreprocessor()
    held = {s: {**tissue_contrast(brains[s])} for s in split["val_subjects"] if s in brains}
    # IXI scans already preprocessed into the subject cache (the same engine) are read from it
    others = {k: tissue_contrast(brains[k]) if k in brains else _contrast_of_file(prep, p)
              for k, p in other_real_t1(data).items()}
    bad = {k: _contrast_of_image(prep, img) for k, img in non_t1_inputs(data).items()}
    verdicts = {"held_out_subjects": {k: _accepted(gate, c) for k, c in held.items()},
                "other_real_t1": {k: _accepted(gate, c) for k, c in others.items()},
                "not_t1": {k: _accepted(gate, c) for k, c in bad.items()}}
    count = lambda d, lv: sum(v == lv for v in d.values())
    report = {"method": "tissue_contrast", "features": list(FEATURES),
              "flag_threshold": gate.flag,
              "refuse_threshold": {f: (v if np.isfinite(v) else None) for f, v in gate.refuse.items()},
              "how_chosen": f"smallest contrast over the {len(train_s)} real training subjects' scans (ds002748, IXI) x "
                            f"(flag, refuse) factors {FACTORS}",
              "training_minimum": low,
              "real_t1": {g: {"n": len(v), "refused": count(v, "refuse"), "flagged": count(v, "flag")}
                          for g, v in verdicts.items() if g != "not_t1"},
              "not_t1": {"n": len(bad), "refused": sum(v != "ok" and v != "flag" for v in verdicts["not_t1"].values()),
                         "verdicts": verdicts["not_t1"]},
              "contrasts": {"held_out": _rounded(held), "other_real_t1": _rounded(others), "not_t1": _rounded(bad)},
              "not_ok": {g: {k: v for k, v in d.items() if v != "ok"} for g, d in verdicts.items()},
              "gate_file": gate_path_for(m.weights_path).name, "command": "python -m nets.fit_trust mri"}
    from nets.trust.fit_brain_temperature import brain_calibration
    cal = brain_calibration(m, brains, split["val_subjects"], card_file)
    card = json.loads(card_file.read_text())
    card["input_gate"], card["calibration"] = report, cal
    card["scope"] = m.config.scope
    card_file.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    return {"model": m.name, "input_gate": report, "calibration": cal}


def _rounded(d):
    return {k: {kk: (round(vv, 3) if isinstance(vv, float) else vv) for kk, vv in v.items()} for k, v in d.items()}
