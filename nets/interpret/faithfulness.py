"""Does a map point at what matters? Deletion and insertion curves (Samek et al. 2017; RISE, Petsiuk et al. 2018).

Deletion: the most relevant pixels (voxels) first are replaced by a baseline, in steps, and P(target) is measured;
a faithful map makes it fall fast (low area under the curve). Insertion: start from the baseline and put the most
relevant pixels back first (high area is good). The same deletion in random order is the reference: a map is
better than chance when its deletion AUC is below the random one. Baselines: the training mean for 2D images (0
after normalisation), a healthy reference brain for MRI (as occlusion). 20 forwards, batched.
"""
from __future__ import annotations

import numpy as np
import torch

FRACTIONS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0)


def _orders(amap: np.ndarray, region, seed: int):
    idx = np.flatnonzero(np.ones(amap.shape, bool) if region is None else region)
    rng = np.random.default_rng(seed)
    vals = amap.ravel()[idx]
    ranked = idx[np.lexsort((rng.random(idx.size), -vals))]  # most relevant first; ties in random order
    return ranked, rng.permutation(idx)


def _probabilities(model, inputs: list, target: int, batch: int) -> np.ndarray:
    out = []
    with torch.no_grad():
        for a in range(0, len(inputs), batch):
            out.append(torch.softmax(model(torch.cat(inputs[a:a + batch])), 1)[:, target])
    return torch.cat(out).numpy()


def deletion_insertion(model, x: torch.Tensor, baseline: torch.Tensor, amap: np.ndarray, target: int,
                       region: np.ndarray | None = None, seed: int = 0, batch: int = 8) -> dict:
    """x, baseline: (1, C, *spatial); amap: spatial (larger = more relevant for target); region: spatial bool, the
    pixels that take part (e.g. the brain), default all. Returns AUCs over the removed fraction and the curves."""
    ranked, shuffled = _orders(amap, region, seed)
    n, flat = ranked.size, x.reshape(*x.shape[:2], -1)
    base_flat = baseline.reshape(*baseline.shape[:2], -1)

    def mixed(order, frac, fill_from_baseline: bool):
        m = torch.zeros(flat.shape[-1], dtype=torch.bool)
        m[torch.from_numpy(order[:int(round(frac * n))])] = True
        return (torch.where(m, base_flat, flat) if fill_from_baseline else torch.where(m, flat, base_flat)).reshape(x.shape)

    inner = FRACTIONS[1:-1]
    inputs = [x, baseline] + [mixed(ranked, f, True) for f in inner] + [mixed(ranked, f, False) for f in inner] \
        + [mixed(shuffled, f, True) for f in inner]
    p = _probabilities(model, inputs, int(target), batch)
    k = len(inner)
    p_x, p_base = float(p[0]), float(p[1])
    deletion = [p_x, *p[2:2 + k], p_base]
    insertion = [p_base, *p[2 + k:2 + 2 * k], p_x]
    random = [p_x, *p[2 + 2 * k:], p_base]
    auc = lambda c: round(float(np.trapezoid(c, FRACTIONS)), 4)
    at10 = FRACTIONS.index(0.1)
    return {"deletion_auc": auc(deletion), "insertion_auc": auc(insertion), "random_deletion_auc": auc(random),
            "p_original": round(p_x, 4), "p_deleted_10pct": round(float(deletion[at10]), 4),
            "p_random_10pct": round(float(random[at10]), 4), "fractions": list(FRACTIONS),
            "deletion": [round(float(v), 4) for v in deletion], "insertion": [round(float(v), 4) for v in insertion],
            "random_deletion": [round(float(v), 4) for v in random], "forwards": len(inputs)}
