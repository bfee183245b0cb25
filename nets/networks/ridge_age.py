"""RidgeAge: one linear brain-age regressor on one feature kind (nets/inference/brain_age_features.py); fitted by
nets/training/ridge_age.py, averaged with the others by nets/inference/brain_age.py."""
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
    weights: np.ndarray
    intercept: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        return ((np.atleast_2d(features) - self.mean) / self.scale) @ self.weights + self.intercept


def corrected(pred, age, slope, offset):
    """Beheshti et al. 2019: pred + (age - (slope * age + offset)), i.e. the gap measured from what the model
    predicts for healthy people of that age (slope, offset from held-out predictions). Needs the person's age."""
    age = np.asarray(age, float)
    return np.asarray(pred) + age - (slope * age + offset)
