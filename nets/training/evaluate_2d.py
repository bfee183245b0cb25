"""Honest validation figures of a 2D model on the splits of nets.training.splits_2d.

Bootstrap confidence intervals resample whole groups (patients / lesions); skin adds the 7-class HAM10000 view
(AK and SCC counted as AKIEC, as in the ISIC 2018 challenge) and recall per source folder; chest adds the
operating point (threshold for sensitivity >= target) chosen on validation films under acquisition shifts.
"""
from __future__ import annotations

import numpy as np

from nets.training.metrics import classification_metrics

HAM7 = ("AKIEC", "BCC", "BKL", "DF", "MEL", "NV", "VASC")
TO_HAM7 = {"AK": "AKIEC", "SCC": "AKIEC"}


def ham7_recall(y, pred, classes) -> dict:
    """Per-class recall and mean recall with AK+SCC merged into AKIEC (a prediction of AK for an SCC counts)."""
    yt = np.array([TO_HAM7.get(classes[i], classes[i]) for i in y])
    yp = np.array([TO_HAM7.get(classes[i], classes[i]) for i in pred])
    rec = {c: float((yp[yt == c] == c).mean()) for c in HAM7 if (yt == c).any()}
    return {"per_class_recall": rec, "mean_recall": float(np.mean(list(rec.values())))}


def _summary_stats(y, probs, classes, positive=None) -> dict:
    m = classification_metrics(y, probs, classes, positive=positive)
    out = {"balanced_accuracy": m["balanced_accuracy"], "auc": m["auc"],
           **{f"recall_{c}": r for c, r in m["per_class_recall"].items()}}
    if len(classes) > 2:
        out["ham7_mean_recall"] = ham7_recall(y, probs.argmax(1), classes)["mean_recall"]
    return out


def bootstrap_ci(y, probs, groups, classes, n_boot: int = 300, seed: int = 0, positive=None) -> dict:
    """95 % percentile intervals of the summary figures, resampling groups with replacement."""
    y, probs, groups = np.asarray(y), np.asarray(probs), np.asarray(groups)
    uniq, inv = np.unique(groups, return_inverse=True)
    members = [np.where(inv == g)[0] for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    draws = {}
    for _ in range(n_boot):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(uniq), len(uniq))])
        if len(np.unique(y[idx])) < len(np.unique(y)):
            continue
        for k, v in _summary_stats(y[idx], probs[idx], classes, positive).items():
            if v is not None:
                draws.setdefault(k, []).append(v)
    return {k: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
            for k, v in draws.items()}


def recall_by_source(y, pred, sources, classes) -> dict:
    """{source: {class: recall}} (a class the model recognises in one folder only would show here)."""
    y, pred, sources = np.asarray(y), np.asarray(pred), np.asarray(sources)
    out = {}
    for s in sorted(set(sources)):
        m = sources == s
        out[s] = {classes[c]: {"recall": round(float((pred[m & (y == c)] == c).mean()), 4),
                               "n": int((m & (y == c)).sum())}
                  for c in range(len(classes)) if (m & (y == c)).any()}
    return out


def threshold_for_sensitivity(y_pos, score, target: float = 0.95) -> float:
    """(Nearly) the largest threshold t with mean(score[positives] >= t) >= target: 1e-7 below the positive score
    that decides, so that the folded logits (a tie at exactly t) still call that film positive."""
    pos = np.sort(np.asarray(score)[np.asarray(y_pos).astype(bool)])
    return float(pos[int(np.floor((1 - target) * len(pos)))]) - 1e-7


def sens_spec(y_pos, score, t: float) -> tuple:
    y_pos, hit = np.asarray(y_pos).astype(bool), np.asarray(score) >= t
    return float(hit[y_pos].mean()), float((~hit[~y_pos]).mean())


def logit_offsets_for_threshold(t: float) -> list:
    """[NORMAL, PNEUMONIA] offsets with argmax(softmax(z + off)) == PNEUMONIA iff softmax(z)[1] >= t: the prior
    {NORMAL: t, PNEUMONIA: 1 - t} against a uniform training prior (nets/networks/prior_shift.py)."""
    return [float(np.log(2 * t)), float(np.log(2 * (1 - t)))]
