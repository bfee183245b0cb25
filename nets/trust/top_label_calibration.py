"""Top-label calibration (Zadrozny & Elkan 2002; Gupta & Ramdas 2022, 'Top-label calibration and multiclass-to-
binary reductions'): after temperature scaling, the probability of the answered class is mapped through an
isotonic (monotone) fit of "was the answer right" on that probability, over the validation split; the other classes
share the rest in their own proportions. The answered class never changes (its probability is kept above the
runner-up's). Used when one temperature cannot fix both ends at once, e.g. a skin model trained on re-balanced
classes is under-confident on common naevi and over-confident on rare classes."""
from __future__ import annotations

import numpy as np

EPS = 1e-6


def fit_top_label(probs: np.ndarray, labels: np.ndarray) -> dict:
    """{"x": knots of the top probability, "y": P(right) at them} from an isotonic fit (sklearn)."""
    from sklearn.isotonic import IsotonicRegression
    conf = probs.max(1)
    right = (probs.argmax(1) == labels).astype(float)
    ir = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(conf, right)
    return {"x": [round(float(v), 6) for v in ir.X_thresholds_], "y": [round(float(v), 6) for v in ir.y_thresholds_]}


def apply_top_label(probs: np.ndarray, knots: dict) -> np.ndarray:
    """probs (N, K) or (K,) -> the same shape, top class mapped through the knots, argmax unchanged."""
    p = np.atleast_2d(np.asarray(probs, np.float64))
    srt = np.sort(p, 1)
    top, second = srt[:, -1], srt[:, -2] if p.shape[1] > 1 else np.zeros(len(p))
    new = np.clip(np.interp(top, knots["x"], knots["y"]), 1e-3, 1 - 1e-3)
    # the runner-up is scaled by (1 - new) / (1 - top): keep the answered class at least level with it
    new = np.maximum(new, second / np.maximum(1 - top + second, EPS) + EPS)
    idx = np.arange(len(p))
    arg = p.argmax(1)
    rest = p.copy()
    rest[idx, arg] = 0.0
    rest *= ((1 - new) / np.maximum(rest.sum(1), EPS))[:, None]
    rest[idx, arg] = new
    return rest.reshape(np.shape(probs))


def cross_fitted_ece(logits, labels, groups, seeds=range(5)) -> float:
    """temperature_scaling.cross_fitted_ece with the top-label map fitted on the same half as T."""
    from nets.trust import temperature_scaling as ts

    def fit(z, y):
        t = ts.fit_temperature(z, y)
        knots = fit_top_label(ts.calibrated(z, t), y)
        return lambda w: apply_top_label(ts.calibrated(w, t), knots)
    return ts.cross_fitted_ece(logits, labels, groups, seeds=seeds, fit=fit)
