"""Compare every registered model of a 2D task on the SAME validation images (python -m nets.compare).

The split is the one the models are trained on (nets/training/splits_2d.py: chest by patient, skin by lesion over
both skin folders; seed 0, 20 %), computed once from the file list (no images decoded) and shared by every model;
each model then reads those validation images at its own input contract. Probabilities are what the page shows: one forward pass per image,
no flip averaging, the card's temperature when it has one. Per model: balanced accuracy, per-class recall, AUC,
expected calibration error (15 equal-width bins of the top probability), ms per image (median of single-image
forward passes on one thread), parameters, weights MB.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from nets.io.image_loader import load_image_array
from nets.training.splits_2d import chest_split, image_source, list_files_2d, skin_split
from nets.training.metrics import classification_metrics, roc_points
from nets.transforms.image_to_tensor import image_to_tensor


@dataclass
class ValidationSplit:
    files: list  # the validation files, in order
    raw: list  # their bytes (each model decodes them at its own size)
    labels: np.ndarray
    description: dict  # method, seed, fraction, counts, and a fingerprint of the file list

    @property
    def fingerprint(self) -> str:
        return self.description["files_sha256"]


def split_files(task: str, data_root, classes, val_fraction: float = 0.2, seed: int = 0) -> tuple:
    """(files, labels, sources, train_idx, val_idx) of nets/training/splits_2d.py's split, without decoding images."""
    files, labels, groups = list_files_2d(task, data_root, classes)
    sources = np.array([image_source(f) for f in files])
    if task == "chest":
        tr, va = chest_split(groups, labels, val_fraction, seed)
    else:
        tr, va = skin_split(groups, labels, sources, val_fraction, seed)
    return files, labels, sources, tr, va


def validation_split(task: str, data_root, classes, val_fraction: float = 0.2, seed: int = 0,
                     limit: int | None = None) -> ValidationSplit:
    """The validation part of the shared 2D split (nets/training/splits_2d.py: chest by patient, skin by lesion over
    both skin folders), read from data_root (the shared data folder); optionally a fixed random `limit` of it."""
    root = Path(data_root)
    files, labels, sources, _, va = split_files(task, root, classes, val_fraction, seed)
    if limit:  # a fixed random subset (smoke runs)
        va = np.sort(np.random.default_rng(seed).permutation(va)[:limit])
    vfiles = [files[i] for i in va]
    desc = {"method": "by patient" if task == "chest" else "by lesion over skin_lesions + skin_ham10000",
            "source": "nets.training.splits_2d (the split the models are trained on)", "data": str(root),
            "val_fraction": val_fraction, "seed": seed, "n_val_images": len(va), "limit": limit,
            "val_class_counts": dict(zip(classes, map(int, np.bincount(labels[va], minlength=len(classes))))),
            "files_sha256": hashlib.sha256("\n".join(f"{sources[i]}/{files[i].name}" for i in va).encode()).hexdigest()}
    return ValidationSplit([str(p) for p in vfiles], [p.read_bytes() for p in vfiles], labels[va], desc)


def expected_calibration_error(labels, probs, bins: int = 15) -> float:
    """Top-label ECE over equal-width confidence bins (nets.trust.temperature_scaling.reliability)."""
    from nets.trust.temperature_scaling import reliability
    return reliability(probs, labels, bins)["ece"]


def reliability_points(labels, probs, bins: int = 10) -> list:
    """(mean confidence, accuracy, count) per non-empty bin, for the reliability diagram."""
    from nets.trust.temperature_scaling import reliability
    return [(b["confidence"], b["accuracy"], b["n"]) for b in reliability(probs, labels, bins)["bins"]]


@torch.no_grad()
def model_probabilities(loaded, split: ValidationSplit, batch: int = 64) -> np.ndarray:
    from nets.trust.gate_service import calibrated_probabilities
    c = loaded.config.input
    images = np.stack([load_image_array(r, size=c["size"], mode=c["mode"]) for r in split.raw])
    images = images[..., None] if images.ndim == 3 else images
    logits = np.concatenate([loaded.module(image_to_tensor(images[i:i + batch], c)).numpy()
                             for i in range(0, len(images), batch)])
    return np.stack([calibrated_probabilities(loaded, z) for z in logits])


@torch.no_grad()
def ms_per_image(loaded, split: ValidationSplit, n: int = 20) -> float:
    """Median wall time of a single-image forward pass (one thread), after one warm-up."""
    c = loaded.config.input
    x = image_to_tensor(load_image_array(split.raw[0], size=c["size"], mode=c["mode"])[None], c)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        loaded.module(x)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            loaded.module(x)
            times.append(time.perf_counter() - t)
    finally:
        torch.set_num_threads(threads)
    return round(float(np.median(times)) * 1000, 2)


def evaluate_model(loaded, split: ValidationSplit, timing_runs: int = 20) -> dict:
    classes = list(loaded.config.classes)
    probs = model_probabilities(loaded, split)
    m = classification_metrics(split.labels, probs, classes)
    w = Path(loaded.weights_path) if loaded.weights_path else None
    return {"model": loaded.name, "architecture": loaded.config.architecture, "trained": loaded.trained,
            "input_size": loaded.config.input["size"], "balanced_accuracy": m["balanced_accuracy"],
            "per_class_recall": m["per_class_recall"], "auc": m["auc"],
            "ece": round(expected_calibration_error(split.labels, probs), 4), "accuracy": m["accuracy"],
            "ms_per_image": ms_per_image(loaded, split, timing_runs),
            "parameters": int(sum(p.numel() for p in loaded.module.parameters())),
            "mb": round(w.stat().st_size / 2**20, 2) if w and w.exists() else None,
            "confusion_matrix": m["confusion_matrix"], "n": m["n"],
            "_curves": roc_points(split.labels, probs, classes), "_reliability": reliability_points(split.labels, probs)}


def compare_models(models: list, split: ValidationSplit, out_dir=None, timing_runs: int = 20) -> dict:
    """Every model on the same split; with out_dir, the ROC / reliability / confusion plots and the table's JSON."""
    rows = [evaluate_model(m, split, timing_runs) for m in models]
    result = {"split": split.description, "probabilities": "as on the page: one forward pass, no flip averaging, "
                                                            "the card's temperature when it has one",
              "models": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]}
    if out_dir is not None:
        from nets.render.comparison_plots import save_comparison_plots
        result["plots"] = save_comparison_plots(rows, list(models[0].config.classes), Path(out_dir))
    return result
