"""RidgeAge: one brain-age regressor on one feature kind (nets/inference/brain_age_features.py), ridge regression
with a linear kernel or a Gaussian (RBF) one; fitted by nets/training/ridge_age.py, averaged with any others by
nets/inference/brain_age.py."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RidgeAge:
    kind: str  # feature kind
    param: int  # its parameter: block size or bin count
    alpha: float
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # linear: one weight per feature; RBF: one dual coefficient per training subject
    intercept: float
    gamma: float = 0.0  # 0: linear kernel; else k(a, b) = exp(-gamma |a - b|^2) on z-scored features
    support: np.ndarray | None = None  # RBF: the training subjects' z-scored features

    def predict(self, features: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(features) - self.mean) / self.scale
        if not self.gamma:
            return z @ self.weights + self.intercept
        d2 = ((z[:, None, :] - self.support[None]) ** 2).sum(-1)
        return np.exp(-self.gamma * d2) @ self.weights + self.intercept


def corrected(pred, age, slope, offset):
    """Beheshti et al. 2019: pred + (age - (slope * age + offset)), i.e. the gap measured from what the model
    predicts for healthy people of that age (slope, offset from held-out predictions). Needs the person's age."""
    age = np.asarray(age, float)
    return np.asarray(pred) + age - (slope * age + offset)
