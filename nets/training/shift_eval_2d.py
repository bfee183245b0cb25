"""Validation under acquisition shifts: does a 2D model lean on borders, text markers, contrast or colour?

    python -m nets.training.shift_eval_2d {chest,skin} [--weights W] [--max-per-class 300]

Each shift is applied to the validation images (uint8, already at the model's input size) before the usual
normalisation. Chest: AUC, and sensitivity / specificity at the model's threshold, per shift. Skin: balanced
accuracy, macro AUC and per-class recall per shift, with colour shifts added (another dermoscope's light and white
balance, as in an independent test set). A model that keeps its figures under these shifts does not rely on those
cues.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nets.training.metrics import classification_metrics


def _resize(a: np.ndarray, h: int, w: int) -> np.ndarray:
    t = torch.from_numpy(a).permute(0, 3, 1, 2).float()
    t = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False, antialias=True)
    return t.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()


def centre_crop(a, keep=0.8):
    n, h, w, _ = a.shape
    dh, dw = int(h * (1 - keep) / 2), int(w * (1 - keep) / 2)
    return _resize(np.ascontiguousarray(a[:, dh:h - dh, dw:w - dw]), h, w)


def border_mask(a, frac=0.12, value=0):
    out = a.copy()
    n, h, w, _ = a.shape
    bh, bw = int(h * frac), int(w * frac)
    out[:, :bh] = value
    out[:, h - bh:] = value
    out[:, :, :bw] = value
    out[:, :, w - bw:] = value
    return out


def round_field(a, radius=1.0):
    """Black outside a centred circle of `radius` times the half side: a dermoscope's round field of view."""
    n, h, w, _ = a.shape
    yy, xx = np.mgrid[0:h, 0:w]
    out = a.copy()
    out[:, np.hypot((yy - (h - 1) / 2) / (h / 2), (xx - (w - 1) / 2) / (w / 2)) > radius] = 0
    return out


def gamma(a, g):
    return np.clip(255.0 * (a / 255.0) ** g, 0, 255).round().astype(np.uint8)


def contrast(a, c):
    m = a.reshape(len(a), -1).mean(1).reshape(-1, 1, 1, 1)
    return np.clip((a - m) * c + m, 0, 255).round().astype(np.uint8)


def zoom_out(a, scale=0.85):
    """The film smaller inside a black frame (wider field of view)."""
    n, h, w, c = a.shape
    sh, sw = int(h * scale), int(w * scale)
    out = np.zeros_like(a)
    oy, ox = (h - sh) // 2, (w - sw) // 2
    out[:, oy:oy + sh, ox:ox + sw] = _resize(a, sh, sw)
    return out


def colour_cast(a, gains):
    """Per-channel gains (R, G, B): another light source or white balance."""
    return np.clip(a * np.asarray(gains, dtype=np.float64), 0, 255).round().astype(np.uint8)


def saturation(a, s):
    grey = a.mean(-1, keepdims=True)
    return np.clip(grey + (a - grey) * s, 0, 255).round().astype(np.uint8)


SHIFTS = {
    "none": lambda a: a,
    "centre_crop_0.8": centre_crop,
    "border_mask_12pct": border_mask,
    "zoom_out_0.85": zoom_out,
    "gamma_0.7": lambda a: gamma(a, 0.7),
    "gamma_1.5": lambda a: gamma(a, 1.5),
    "contrast_0.7": lambda a: contrast(a, 0.7),
    "contrast_1.3": lambda a: contrast(a, 1.3),
}

SKIN_SHIFTS = {**SHIFTS,
               "warm_cast": lambda a: colour_cast(a, (1.12, 1.0, 0.88)),
               "cool_cast": lambda a: colour_cast(a, (0.88, 1.0, 1.12)),
               "saturation_0.7": lambda a: saturation(a, 0.7),
               "saturation_1.3": lambda a: saturation(a, 1.3),
               "black_frame_4pct": lambda a: border_mask(a, 0.04),
               "white_frame_8pct": lambda a: border_mask(a, 0.08, 255),
               "round_field_1.2": lambda a: round_field(a, 1.2),
               "round_field_1.0": lambda a: round_field(a, 1.0)}


def positive_scores_under_shifts(model, images, contract, shifts=SHIFTS, tta=False) -> dict:
    from nets.training.train_image_classifier import predict_probs
    return {name: predict_probs(model, f(images), contract, tta=tta) for name, f in shifts.items()}


def sens_spec_at(y, score, thr):
    pred = score >= thr
    return float(pred[y == 1].mean()), float((~pred[y == 0]).mean())


def threshold_for_sensitivity(y, score, target=0.95) -> float:
    """The largest threshold whose sensitivity (score >= thr among positives) is >= target."""
    pos = np.sort(np.asarray(score)[np.asarray(y) == 1])
    k = int(np.floor((1 - target) * len(pos)))
    return float(pos[k])


def shift_report(y, probs_by_shift: dict, classes, thr=0.5) -> dict:
    out = {}
    for name, p in probs_by_shift.items():
        m = classification_metrics(y, p, classes)
        se, sp = sens_spec_at(y, p[:, 1], thr)
        out[name] = {"auc": round(m["auc"], 4), "sensitivity": round(se, 4), "specificity": round(sp, 4)}
    return out


def multiclass_shift_report(y, probs_by_shift: dict, classes) -> dict:
    out = {}
    for name, p in probs_by_shift.items():
        m = classification_metrics(y, p, classes)
        out[name] = {"balanced_accuracy": round(m["balanced_accuracy"], 4),
                     "auc": None if m["auc"] is None else round(m["auc"], 4),
                     "per_class_recall": {c: None if r is None else round(r, 3)
                                          for c, r in m["per_class_recall"].items()}}
    return out


def main(argv=None):
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
    from nets.networks import SmallResNet2D
    from nets.training.finetune_2d import SHARED
    from nets.training.splits_2d import train_val_split_2d
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=["chest", "skin"])
    ap.add_argument("--weights", default=None)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--max-per-class", type=int, default=0, help="0: the whole validation split")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    cfg = CONFIGS[DEFAULT_MODEL_FOR_TASK[a.task]]
    ds, _, va = train_val_split_2d(a.task, SHARED, cfg)
    if a.max_per_class:
        rng = np.random.default_rng(0)
        va = np.sort(np.concatenate([rng.permutation(va[ds.labels[va] == c])[:a.max_per_class]
                                     for c in range(len(cfg.classes))]))
    model = SmallResNet2D.from_weights(cfg.arch_kwargs, a.weights or cfg.weights)
    classes = list(cfg.classes)
    if a.task == "skin":
        probs = positive_scores_under_shifts(model, ds.images[va], cfg.input, SKIN_SHIFTS)
        rep = multiclass_shift_report(ds.labels[va], probs, classes)
    else:
        probs = positive_scores_under_shifts(model, ds.images[va], cfg.input)
        rep = shift_report(ds.labels[va], probs, classes, a.threshold)
    print(json.dumps({"weights": str(a.weights or cfg.weights), "n": int(len(va)), "threshold": a.threshold,
                      "shifts": rep}, indent=1))


if __name__ == "__main__":
    main()
