"""The whole service on the corpus and on real images: auto-routing, the gates, calibrated answers (no
explanation). Outcomes: refused by a gate, refused by the reader (not an image it can read), flagged (answered with
a gate warning), answered."""
from __future__ import annotations

import random
from pathlib import Path

from nets.errors import InputError, OutOfDistributionError


def outcome(pred, raw: bytes, task=None) -> tuple:
    try:
        j = pred.predict_bytes(raw, task=task, explain=False).to_json()
    except OutOfDistributionError as e:
        return "refused", e.task
    except InputError as e:
        return "refused_by_reader:" + e.code, None
    gate = j.get("input_gate") or {}
    return ("flagged" if gate.get("level") == "flag" else "answered"), j["task"]


def _tally(results: dict) -> dict:
    n = max(len(results), 1)
    kinds = [o for o, _ in results.values()]
    return {"n": len(results), "refused": sum(k.startswith("refused") for k in kinds) / n,
            "flagged": kinds.count("flagged") / n,
            "refused_or_flagged": sum(k != "answered" for k in kinds) / n,
            "answered": sorted(f for f, (o, _) in results.items() if o == "answered")}


def validation_files(task: str, data: Path) -> list:
    """The files of a 2D model's validation split, exactly as the training code splits them
    (nets.training.splits_2d), without decoding any image."""
    from nets.training.splits_2d import split_files_2d
    return split_files_2d(task, data)[1]


def in_distribution_files(data: Path) -> dict:
    """The validation split of each 2D model and 300 HAM10000 photos that neither training nor the threshold choice
    read (second half by lesion)."""
    out = {}
    from nets.training.splits_2d import TASK_FOLDERS
    for task, sub in TASK_FOLDERS.items():
        if (data / sub).exists():
            out[f"{task}_validation"] = (task, validation_files(task, data))
    from nets.trust.fit_image_gate import ham10000_halves
    ham = ham10000_halves(data)[1]
    if ham:
        out["skin_ham10000_second_half_sample"] = ("skin", ham[:300])
    return out


def service_report(corpus: Path, data: Path) -> dict:
    import tempfile
    from nets.predictor import Predictor
    pred = Predictor(imgs_root=tempfile.mkdtemp())
    test = sorted((corpus / "test").glob("*"))
    rep = {"ood_test": {}}
    for mode in (None, "chest", "skin"):
        res = {p.name: outcome(pred, p.read_bytes(), mode) for p in test}
        rep["ood_test"]["auto" if mode is None else f"forced_{mode}"] = _tally(res)
    rep["in_distribution"] = {}
    for name, (task, files) in in_distribution_files(data).items():
        res = {p.name: outcome(pred, p.read_bytes()) for p in files}
        t = _tally(res)
        t["routed_to_other_task"] = sum(1 for o, tk in res.values() if tk not in (task, None))
        t["refused_files"] = sorted(f for f, (o, _) in res.items() if o.startswith("refused"))
        t["flagged_files"] = sorted(f for f, (o, _) in res.items() if o == "flagged")[:30]
        t.pop("answered")
        rep["in_distribution"][name] = t
    rep["command"] = "python -m nets.fit_trust report"
    return rep
