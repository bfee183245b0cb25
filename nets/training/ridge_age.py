"""Ridge regression of age on brain-age features, solved in its dual form (subjects << features), with the
hyper-parameters (block size, penalty) chosen by cross-validation inside the training subjects only."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nets.training.brain_split import age_folds

BLOCKS = (3, 4, 5)  # 6, 8, 10 mm cubes
ALPHAS = (0.001, 0.01, 0.1, 1.0)  # penalty relative to the mean kernel diagonal


@dataclass
class RidgeAge:
    block: int
    alpha: float
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        return ((np.atleast_2d(features) - self.mean) / self.scale) @ self.weights + self.intercept


def fit_ridge(x: np.ndarray, y: np.ndarray, block: int, alpha: float) -> RidgeAge:
    """z-scored features; w = Z^T (Z Z^T + alpha * mean(diag) I)^-1 (y - mean y)."""
    mean = x.mean(0)
    scale = x.std(0) + 1e-3
    z = (x - mean) / scale
    k = z @ z.T
    lam = alpha * float(np.mean(np.diag(k)))
    coef = np.linalg.solve(k + lam * np.eye(len(y)), y - y.mean())
    return RidgeAge(block, alpha, mean.astype(np.float32), scale.astype(np.float32),
                    (z.T @ coef).astype(np.float32), float(y.mean()))


def out_of_fold(feats: dict, ages: dict, subjects, block, alpha, k=5, seed=0) -> dict:
    """{subject: prediction} with each subject predicted by a model fitted without its fold."""
    out = {}
    for fold in age_folds(subjects, ages, k, seed):
        fit_s = [s for s in subjects if s not in fold]
        m = fit_ridge(np.stack([feats[block][s] for s in fit_s]), np.array([ages[s] for s in fit_s]), block, alpha)
        out.update(zip(fold, m.predict(np.stack([feats[block][s] for s in fold])).tolist()))
    return out


def select_hyperparameters(feats: dict, ages: dict, subjects, k=5, seed=0) -> tuple:
    """(block, alpha, table) with the lowest inner cross-validated MAE over `subjects`."""
    table = {}
    for block in BLOCKS:
        for alpha in ALPHAS:
            oof = out_of_fold(feats, ages, subjects, block, alpha, k, seed)
            table[(block, alpha)] = float(np.mean([abs(oof[s] - ages[s]) for s in subjects]))
    block, alpha = min(table, key=table.get)
    return block, alpha, table


def fit_bias_correction(pred: np.ndarray, age: np.ndarray) -> tuple:
    """pred = slope * age + offset on held-out predictions (Smith et al. 2019; Beheshti et al. 2019)."""
    slope, offset = np.polyfit(age, pred, 1)
    return float(slope), float(offset)


def corrected(pred, age, slope, offset):
    """Beheshti et al. 2019: pred + (age - (slope * age + offset)), i.e. the gap measured from what the model
    predicts for healthy people of that age. Needs the person's age; without it the raw prediction stands."""
    age = np.asarray(age, float)
    return np.asarray(pred) + age - (slope * age + offset)
