"""Ridge regression of age on brain-age features, solved in its dual form (subjects << features), with the
hyper-parameters (feature parameter, penalty) chosen by cross-validation inside the training subjects only."""
from __future__ import annotations

import numpy as np

from nets.networks.ridge_age import RidgeAge, corrected  # noqa: F401  corrected: re-exported for training
from nets.training.brain_split import age_folds

# per feature kind: the parameters tried (gm_blocks: 6, 8, 10 mm cubes; intensity_histogram: bin counts)
PARAMS = {"gm_blocks": (3, 4, 5), "intensity_histogram": (12, 20, 40)}
ALPHAS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # penalty relative to the mean kernel diagonal


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float, kind: str = "gm_blocks", param: int = 4) -> RidgeAge:
    """z-scored features; w = Z^T (Z Z^T + alpha * mean(diag) I)^-1 (y - mean y)."""
    mean = x.mean(0)
    scale = x.std(0) + 1e-3
    z = (x - mean) / scale
    k = z @ z.T
    lam = alpha * float(np.mean(np.diag(k)))
    coef = np.linalg.solve(k + lam * np.eye(len(y)), y - y.mean())
    return RidgeAge(kind, int(param), float(alpha), mean.astype(np.float32), scale.astype(np.float32),
                    (z.T @ coef).astype(np.float32), float(y.mean()))


def stack(feats: dict, key: tuple, subjects) -> np.ndarray:
    return np.stack([feats[key][s] for s in subjects])


def out_of_fold(feats: dict, ages: dict, subjects, key: tuple, alpha, k=5, seed=0) -> dict:
    """{subject: prediction} with each subject predicted by a model fitted without its fold; key = (kind, param)."""
    out = {}
    for fold in age_folds(subjects, ages, k, seed):
        fit_s = [s for s in subjects if s not in fold]
        m = fit_ridge(stack(feats, key, fit_s), np.array([ages[s] for s in fit_s]), alpha, *key)
        out.update(zip(fold, m.predict(stack(feats, key, fold)).tolist()))
    return out


def select_hyperparameters(feats: dict, ages: dict, subjects, kind: str, k=5, seed=0) -> tuple:
    """((kind, param), alpha, table) with the lowest inner cross-validated MAE over `subjects` for one kind."""
    table = {}
    for param in PARAMS[kind]:
        for alpha in ALPHAS:
            oof = out_of_fold(feats, ages, subjects, (kind, param), alpha, k, seed)
            table[(kind, param, alpha)] = float(np.mean([abs(oof[s] - ages[s]) for s in subjects]))
    kind, param, alpha = min(table, key=table.get)
    return (kind, param), alpha, table


def fit_bias_correction(pred: np.ndarray, age: np.ndarray) -> tuple:
    """pred = slope * age + offset on held-out predictions (Smith et al. 2019; Beheshti et al. 2019)."""
    slope, offset = np.polyfit(age, pred, 1)
    return float(slope), float(offset)
