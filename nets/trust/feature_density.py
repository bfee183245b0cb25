"""How far an input's penultimate features lie from the training images' features, and the energy of its logits.

- Mahalanobis (Lee et al. 2018): class means of the training features with one shared, shrunk covariance; the
  score is the smallest squared distance to a class mean.
- kNN (Sun et al. 2022): distance of the L2-normalised feature to its k-th nearest training feature.
- energy (Liu et al. 2020): -logsumexp(logits); larger means less like the training data.
"""
from __future__ import annotations

import numpy as np
import torch


@torch.no_grad()
def logits_and_features(module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One forward of SmallResNet2D returning the logits and the spatial means of the stem and of every residual
    block's output, concatenated (the last block's mean is the penultimate feature the head reads)."""
    h = module.stem(x)
    pooled = [h.mean((2, 3))]
    for block in module.features:
        h = block(h)
        pooled.append(h.mean((2, 3)))
    return module.head(module.dropout(pooled[-1])), torch.cat(pooled, 1)


@torch.no_grad()
def batched_logits_and_features(module, images: np.ndarray, contract: dict, batch: int = 128):
    from nets.transforms.image_to_tensor import image_to_tensor
    logits, feats = [], []
    for i in range(0, len(images), batch):
        lo, fe = logits_and_features(module, image_to_tensor(images[i:i + batch], contract))
        logits.append(lo.numpy())
        feats.append(fe.numpy())
    return np.concatenate(logits), np.concatenate(feats)


def energy_score(logits: np.ndarray) -> np.ndarray:
    z = np.atleast_2d(logits).astype(np.float64)
    m = z.max(1, keepdims=True)
    return -(m[:, 0] + np.log(np.exp(z - m).sum(1)))


def fit_mahalanobis(features: np.ndarray, labels: np.ndarray) -> dict:
    from sklearn.covariance import LedoitWolf
    classes = np.unique(labels)
    means = np.stack([features[labels == c].mean(0) for c in classes])
    centred = features - means[np.searchsorted(classes, labels)]
    precision = LedoitWolf().fit(centred).precision_
    return {"means": means.astype(np.float32), "precision": precision.astype(np.float32)}


def mahalanobis_score(features: np.ndarray, stats: dict) -> np.ndarray:
    f = np.atleast_2d(features).astype(np.float64)
    d = f[:, None, :] - stats["means"][None].astype(np.float64)
    q = np.einsum("ncd,de,nce->nc", d, stats["precision"].astype(np.float64), d)
    return q.min(1)


def fit_knn(features: np.ndarray, keep: int = 1500, seed: int = 0) -> dict:
    f = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-8)
    idx = np.random.default_rng(seed).permutation(len(f))[:keep]
    return {"bank": f[idx].astype(np.float16)}


def knn_score(features: np.ndarray, stats: dict, k: int = 10) -> np.ndarray:
    f = np.atleast_2d(features)
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-8)
    sim = f @ stats["bank"].astype(np.float32).T
    k = min(k, sim.shape[1])
    kth = -np.partition(-sim, k - 1, axis=1)[:, k - 1]
    return 1.0 - kth


def auroc(in_scores, out_scores) -> float:
    """P(score of an OOD input > score of an in-distribution input), ties counted half."""
    a, b = np.asarray(in_scores, float), np.asarray(out_scores, float)
    if not len(a) or not len(b):
        return float("nan")
    allv = np.concatenate([a, b])
    ranks = allv.argsort().argsort().astype(float) + 1
    # average ranks for ties
    _, inv, cnt = np.unique(allv, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks)
    ranks = (sums / cnt)[inv]
    rb = ranks[len(a):].sum()
    return float((rb - len(b) * (len(b) + 1) / 2) / (len(a) * len(b)))
