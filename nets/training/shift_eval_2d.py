"""Validation under acquisition shifts: does a 2D model lean on borders, text markers or contrast?

    python -m nets.training.shift_eval_2d chest [--weights W] [--max-per-class 300]

Each shift is applied to the validation images (uint8, already at the model's input size) before the usual
normalisation; the JSON gives AUC, and sensitivity / specificity at the model's threshold, per shift. A model that
keeps its figures under centre crop, border masking and contrast changes does not rely on those cues.
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


def border_mask(a, frac=0.12):
    out = a.copy()
    n, h, w, _ = a.shape
    bh, bw = int(h * frac), int(w * frac)
    out[:, :bh] = 0
    out[:, h - bh:] = 0
    out[:, :, :bw] = 0
    out[:, :, w - bw:] = 0
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


def main(argv=None):
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
    from nets.networks import SmallResNet2D
    from nets.training.finetune_2d import SHARED
    from nets.training.splits_2d import train_val_split_2d
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=["chest"])
    ap.add_argument("--weights", default=None)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--max-per-class", type=int, default=0, help="0: the whole validation split")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    cfg = CONFIGS[DEFAULT_MODEL_FOR_TASK[a.task]]
    ds, _, va = train_val_split_2d(a.task, SHARED, cfg)
    if a.max_per_class:
        rng = np.random.default_rng(0)
        va = np.sort(np.concatenate([rng.permutation(va[ds.labels[va] == c])[:a.max_per_class] for c in (0, 1)]))
    model = SmallResNet2D.from_weights(cfg.arch_kwargs, a.weights or cfg.weights)
    probs = positive_scores_under_shifts(model, ds.images[va], cfg.input)
    rep = shift_report(ds.labels[va], probs, list(cfg.classes), a.threshold)
    print(json.dumps({"weights": str(a.weights or cfg.weights), "n": int(len(va)), "threshold": a.threshold,
                      "shifts": rep}, indent=1))


if __name__ == "__main__":
    main()
