"""Temperature scaling (Guo et al. 2017): one scalar T divides the logits so that the softmax probabilities match
how often the model is right, fitted by minimising the negative log-likelihood on validation logits. Bias-corrected
temperature scaling (BCTS, Alexandari et al. 2020) adds one offset per class (L2-penalised), for a model trained
with re-balanced classes. Expected calibration error (15 equal-width bins of the top probability), an ECE where
each half of the validation groups is scored with parameters fitted on the other half, and a reliability
diagram."""
from __future__ import annotations

from pathlib import Path

import numpy as np

BINS = 15


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """As scipy.special.log_softmax (max-shifted); here so a result does not import scipy.special (0.1 s cold)."""
    z = np.asarray(z, np.float64)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.exp(log_softmax(z, axis))


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    lp = log_softmax(np.asarray(logits, np.float64) / temperature, axis=1)
    return float(-lp[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar  # fitting only: keeps 0.2 s out of every cold start
    r = minimize_scalar(lambda lt: nll(logits, labels, float(np.exp(lt))), bounds=(np.log(0.05), np.log(20)),
                        method="bounded")
    return float(np.exp(r.x))


def calibrated(logits: np.ndarray, temperature: float = 1.0, bias=None) -> np.ndarray:
    z = np.asarray(logits, np.float64) / temperature
    return softmax(z + (0 if bias is None else np.asarray(bias, np.float64)), axis=-1)


BIAS_L2 = 0.05


def fit_bias_temperature(logits: np.ndarray, labels: np.ndarray, l2: float = BIAS_L2) -> tuple:
    """(T, per-class bias) minimising NLL + l2 * |bias|^2 (BCTS)."""
    z = np.asarray(logits, np.float64)
    k = z.shape[1]

    def loss(p):
        lp = log_softmax(z / np.exp(p[0]) + p[1:], axis=1)
        return -lp[np.arange(len(labels)), labels].mean() + l2 * (p[1:] ** 2).sum()

    from scipy.optimize import minimize
    r = minimize(loss, np.zeros(k + 1), method="L-BFGS-B")
    return float(np.exp(r.x[0])), r.x[1:]


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> dict:
    """ECE and the per-bin (confidence, accuracy, count) of the top class."""
    conf = probs.max(1)
    correct = (probs.argmax(1) == labels).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            gap = abs(conf[sel].mean() - correct[sel].mean())
            ece += sel.mean() * gap
            rows.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "confidence": float(conf[sel].mean()),
                         "accuracy": float(correct[sel].mean()), "n": int(sel.sum())})
    return {"ece": float(ece), "bins": rows}


def cross_fitted_ece(logits, labels, groups, with_bias: bool = False, seeds=range(5), fit=None) -> float:
    """Mean over 5 random halvings of the validation groups of the ECE where each half is scored with parameters
    fitted on the other half (so the figure is not measured on the data its parameters were chosen on).
    fit(logits, labels) -> (logits -> probabilities) replaces the default (temperature, or with_bias BCTS)."""
    fit = fit or (_fit_bias_temperature_map if with_bias else _fit_temperature_map)
    g = np.unique(groups)
    eces = []
    for seed in seeds:
        half = set(np.random.default_rng(seed).permutation(g)[: len(g) // 2])
        a = np.array([x in half for x in groups])
        probs = np.zeros((len(labels), logits.shape[1]))
        for fitted, score in ((a, ~a), (~a, a)):
            probs[score] = fit(logits[fitted], labels[fitted])(logits[score])
        eces.append(reliability(probs, labels)["ece"])
    return float(np.mean(eces))


def _fit_temperature_map(logits, labels):
    t = fit_temperature(logits, labels)
    return lambda z: calibrated(z, t)


def _fit_bias_temperature_map(logits, labels):
    t, b = fit_bias_temperature(logits, labels)
    return lambda z: calibrated(z, t, b)


def decisions(probs_before: np.ndarray, probs_after: np.ndarray, labels: np.ndarray) -> dict:
    """What calibration does to the answers themselves: balanced accuracy before / after and the share of changed
    top classes (a temperature alone changes none; class offsets or a kept prior can)."""
    def bal(p):
        pred = p.argmax(1)
        return float(np.mean([(pred[labels == c] == c).mean() for c in np.unique(labels)]))
    return {"balanced_accuracy_before": round(bal(probs_before), 4), "balanced_accuracy_after": round(bal(probs_after), 4),
            "top_class_changed": round(float((probs_before.argmax(1) != probs_after.argmax(1)).mean()), 4)}


def save_reliability_diagram(before: dict, after: dict, temperature: float, path, title: str,
                             with_bias: bool = False, with_top_label: bool = False) -> str:
    from matplotlib.figure import Figure
    fig = Figure(figsize=(4.6, 4.2), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfect")
    for rel, lab, col in ((before, f"T = 1 (ECE {before['ece']:.3f})", "#d9534f"),
                          (after, f"T = {temperature:.2f}{' + class offsets' if with_bias else ''}"
                                  f"{' + top-label map' if with_top_label else ''} (ECE {after['ece']:.3f})",
                           "#2e7d32")):
        b = rel["bins"]
        ax.plot([x["confidence"] for x in b], [x["accuracy"] for x in b], "o-", color=col, label=lab, ms=4)
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return str(path)
