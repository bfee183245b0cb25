"""Ridge regression of age on brain-age features, solved in its dual form (subjects << features), with a linear or a
Gaussian (RBF) kernel, the hyper-parameters (feature parameter, penalty, kernel width) chosen by cross-validation
inside the training subjects only."""
from __future__ import annotations

import numpy as np

from nets.networks.ridge_age import RidgeAge, corrected  # noqa: F401  corrected: re-exported for training
from nets.training.brain_split import age_folds

# per feature kind: the parameters tried (gm_blocks: 6, 8, 10 mm cubes; intensity_histogram: bin counts)
PARAMS = {"gm_blocks": (3, 4, 5), "intensity_histogram": (12, 20, 40)}
ALPHAS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # penalty relative to the mean kernel diagonal
RBF_ALPHAS = (0.01, 0.03, 0.1, 0.3, 1.0)  # the RBF kernel's diagonal is 1
RBF_GAMMAS = (0.1, 0.3, 1.0, 3.0)  # kernel width, per feature: gamma = value / number of features


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float, kind: str = "gm_blocks", param: int = 4,
              gamma: float = 0.0) -> RidgeAge:
    """z-scored features Z; dual coefficients c = (K + alpha * mean(diag K) I)^-1 (y - mean y) with K = Z Z^T
    (linear: the weights are Z^T c) or K = exp(-gamma |z_i - z_j|^2) (RBF, gamma per feature: the weights are c and
    the training rows are kept as support)."""
    mean = x.mean(0)
    scale = x.std(0) + 1e-3
    z = (x - mean) / scale
    g = gamma / z.shape[1]
    k = np.exp(-g * ((z[:, None, :] - z[None]) ** 2).sum(-1)) if gamma else z @ z.T
    lam = alpha * float(np.mean(np.diag(k)))
    coef = np.linalg.solve(k + lam * np.eye(len(y)), y - y.mean())
    weights, support = (coef, z.astype(np.float32)) if gamma else (z.T @ coef, None)
    return RidgeAge(kind, int(param), float(alpha), mean.astype(np.float32), scale.astype(np.float32),
                    weights.astype(np.float32), float(y.mean()), float(g), support)


def stack(feats: dict, key: tuple, subjects) -> np.ndarray:
    return np.stack([feats[key][s] for s in subjects])


def out_of_fold(feats: dict, ages: dict, subjects, key: tuple, alpha, k=5, seed=0, gamma: float = 0.0) -> dict:
    """{subject: prediction} with each subject predicted by a model fitted without its fold; key = (kind, param)."""
    out = {}
    for fold in age_folds(subjects, ages, k, seed):
        fit_s = [s for s in subjects if s not in fold]
        m = fit_ridge(stack(feats, key, fit_s), np.array([ages[s] for s in fit_s]), alpha, *key, gamma=gamma)
        out.update(zip(fold, m.predict(stack(feats, key, fold)).tolist()))
    return out


def select_hyperparameters(feats: dict, ages: dict, subjects, kind: str, k=5, seed=0, kernel: str = "linear") -> tuple:
    """((kind, param), alpha, gamma, table) with the lowest inner cross-validated MAE over `subjects` for one kind
    and kernel ("linear": gamma 0; "rbf": RBF_ALPHAS x RBF_GAMMAS)."""
    table = {}
    grid = [(a, 0.0) for a in ALPHAS] if kernel == "linear" else [(a, g) for a in RBF_ALPHAS for g in RBF_GAMMAS]
    for param in PARAMS[kind]:
        for alpha, gamma in grid:
            oof = out_of_fold(feats, ages, subjects, (kind, param), alpha, k, seed, gamma)
            table[(kind, param, alpha, gamma)] = float(np.mean([abs(oof[s] - ages[s]) for s in subjects]))
    kind, param, alpha, gamma = min(table, key=table.get)
    return (kind, param), alpha, gamma, table


def fit_bias_correction(pred: np.ndarray, age: np.ndarray) -> tuple:
    """pred = slope * age + offset on held-out predictions (Smith et al. 2019; Beheshti et al. 2019)."""
    slope, offset = np.polyfit(age, pred, 1)
    return float(slope), float(offset)
