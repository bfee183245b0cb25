"""Does a map point at what matters? Deletion and insertion curves (Samek et al. 2017; RISE, Petsiuk et al. 2018).

Deletion: the most relevant patches of pixels (voxels) first are replaced by a baseline, in steps, and P(target) is
measured;
a faithful map makes it fall fast (low area under the curve). Insertion: start from the baseline and put the most
relevant pixels back first (high area is good). The same deletion in random order is the reference: a map is
better than chance when its deletion AUC is below the random one. Baselines: for 2D images the same image strongly
blurred (`blurred_baseline`; Fong & Vedaldi 2017), for MRI a healthy reference brain (as occlusion). 20 inputs,
batched (18 forwards when the caller already knows P of the input and of the baseline).

Why blur for 2D: flat grey squares (the training mean) have edges no training image has. On the retrained skin
model, grey squares in random places took P(class) from 0.6 to 0.23 at 10 % of the image, so random order beat
every map (grey fill: Grad-CAM below random for 22 % of 50 validation images, blur: 83 % of 30); on chest films a
grey image reads as pneumonia (P 0.99). Blurring removes the detail the map points at without new edges.
"""
from __future__ import annotations

import itertools

import numpy as np
import torch

FRACTIONS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0)
# Hiding everything must move P(target) by at least this much for the comparison with random order to mean
# anything: when the fully hidden input still reads as the class (a blurred chest film still reads as pneumonia,
# P 0.98 on training films), every order gives the same flat curve and which is lower is chance.
MIN_TOTAL_DROP = 0.1
# Two random orders of the same input give deletion AUCs that differ by a median 0.014 (50 skin photos, 5 orders
# each) or 0.007 (40 chest films): a map within this of its one random order is not shown to beat it (probe,
# 2026-12-02; a page check had called 0.64 against 0.66 a pass)
MIN_AUC_GAP = 0.02
BLUR_SIGMA_FRACTION = 1 / 28  # of the image side: about 6 px at 160 px, 5 px at 144 px
BASELINES_2D = ("blur", "mean")


def blurred_baseline(x: torch.Tensor) -> torch.Tensor:
    """(1, C, H, W) -> the same image, Gaussian-blurred over H and W with sigma = side x BLUR_SIGMA_FRACTION."""
    from scipy import ndimage
    sigma = x.shape[-1] * BLUR_SIGMA_FRACTION
    return torch.from_numpy(ndimage.gaussian_filter(x.detach().numpy(), sigma=(0, 0, sigma, sigma))).to(x.dtype)


def image_baseline(x: torch.Tensor, kind: str = "blur") -> torch.Tensor:
    """The 2D deletion baseline: 'blur' (default, see above) or 'mean' (the training mean: 0 after normalisation)."""
    if kind not in BASELINES_2D:
        raise ValueError(f"baseline must be one of {BASELINES_2D}")
    return blurred_baseline(x) if kind == "blur" else torch.zeros_like(x)


def _patch_ids(shape, patch: int) -> np.ndarray:
    """Id of the patch (patch^d block) each pixel / voxel belongs to."""
    grid = np.indices(shape) // patch
    return np.ravel_multi_index(tuple(grid), tuple(int(np.ceil(s / patch)) for s in shape)).ravel()


def _orders(amap: np.ndarray, region, patch: int, seed: int):
    """Patches ranked by their mean map value (most relevant first; ties random) and in random order, as lists of
    flat pixel indices inside `region`."""
    inside = np.ones(amap.size, bool) if region is None else np.asarray(region).ravel()
    ids = _patch_ids(amap.shape, patch)[inside]
    idx = np.flatnonzero(inside)
    sums = np.bincount(ids, weights=amap.ravel()[inside])
    counts = np.bincount(ids)
    present = np.flatnonzero(counts)
    score = sums[present] / counts[present]
    rng = np.random.default_rng(seed)
    ranked = present[np.lexsort((rng.random(present.size), -score))]
    shuffled = rng.permutation(present)
    # group the pixels by patch with one stable sort (a scan per patch cost 0.28 s on a brain volume)
    order = np.argsort(ids, kind="stable")
    starts = np.searchsorted(ids[order], present)
    groups = np.split(idx[order], starts[1:])
    members = dict(zip(present.tolist(), groups))
    return [members[p] for p in ranked], [members[p] for p in shuffled]


def _probabilities(model, inputs, target: int, batch: int) -> np.ndarray:
    """P(target) for an iterable of (1, C, ...) inputs, sent `batch` at a time through one reused buffer: each input
    is copied in as soon as it is made, so the 20 full-size inputs never exist at once (44 MB of fresh memory for a
    volume's check, whose first touch cost a new process ~0.1 s)."""
    out, buf, n = [], None, 0
    with torch.no_grad():
        for t in inputs:
            if buf is None:
                buf = torch.empty((batch, *t.shape[1:]), dtype=t.dtype)
            buf[n].copy_(t[0])
            n += 1
            if n == batch:
                out.append(torch.softmax(model(buf), 1)[:, target])
                n = 0
        if n:
            out.append(torch.softmax(model(buf[:n]), 1)[:, target])
    return torch.cat(out).numpy()


def verdict(p_original: float, p_baseline: float, deletion_auc: float, random_deletion_auc: float) -> str:
    """'better' (the map's order beats random by at least MIN_AUC_GAP), 'not_better' (random beats it by that
    much), 'no_clear_difference' (closer than that: the spread of random orders), or 'inconclusive' (hiding
    everything moves P(target) by less than MIN_TOTAL_DROP, so no order can do better than another)."""
    if p_original - p_baseline < MIN_TOTAL_DROP:
        return "inconclusive"
    gap = random_deletion_auc - deletion_auc
    return "better" if gap >= MIN_AUC_GAP else "not_better" if gap <= -MIN_AUC_GAP else "no_clear_difference"


def deletion_insertion(model, x: torch.Tensor, baseline: torch.Tensor, amap: np.ndarray, target: int,
                       region: np.ndarray | None = None, seed: int = 0, batch: int | None = None,
                       patch: int | None = None, known: dict | None = None) -> dict:
    """x, baseline: (1, C, *spatial); amap: spatial (larger = more relevant for target); region: spatial bool, the
    pixels that take part (e.g. the brain), default all. Pixels are removed in patches (Samek et al. 2017 use 9x9
    regions): patch px / voxels per side, default 8 px for 2D and 4 voxels (8 mm) for volumes. Removing scattered
    single pixels would be noise the network was never shown: on the skin model 10 % random pixels alone dropped
    P(class) from 0.91 to 0.15, so random order would look better than any map. Returns AUCs over the removed
    fraction of patches and the curves. `known`: {"original": P, "baseline": P} the caller already has (the answer's
    own forward pass; a fixed reference brain's P), so those two inputs are not sent through the network again."""
    patch = patch or (8 if amap.ndim == 2 else 4)
    # volumes in pairs: the shape of every answer's own pass (nets/networks/single_volume_batch.py), so a fresh
    # process makes no new oneDNN kernels; cold CLI 2.00-2.14 s with batches of 4, 1.92-1.96 s with pairs (bench)
    batch = batch or (8 if amap.ndim == 2 else 2)
    ranked, shuffled = _orders(amap, region, patch, seed)
    n, flat = len(ranked), x.reshape(*x.shape[:2], -1)
    base_flat = baseline.reshape(*baseline.shape[:2], -1)

    def progressive(order, start, fill):
        """`start` with the first round(f * n) patches of `order` taken from `fill`, for each inner fraction f;
        each step adds its patches to the previous one (one index write per patch, no full-size masks). Yields a
        view that the next step changes: _probabilities copies it first."""
        cur, done = start.clone(), 0
        for f in inner:
            k = int(round(f * n))
            if k > done:
                idx = torch.from_numpy(np.concatenate(order[done:k]))
                cur[..., idx] = fill[..., idx]
                done = k
            yield cur.reshape(x.shape)

    inner = FRACTIONS[1:-1]
    ends = {"original": x, "baseline": baseline}
    sent = [k for k in ends if k not in (known or {})]
    inputs = itertools.chain((ends[k] for k in sent), progressive(ranked, flat, base_flat),
                             progressive(ranked, base_flat, flat), progressive(shuffled, flat, base_flat))
    p = _probabilities(model, inputs, int(target), batch)
    end_p = {**(known or {}), **dict(zip(sent, p[:len(sent)]))}
    p_x, p_base, p = float(end_p["original"]), float(end_p["baseline"]), p[len(sent):]
    k = len(inner)
    deletion = [p_x, *p[:k], p_base]
    insertion = [p_base, *p[k:2 * k], p_x]
    random = [p_x, *p[2 * k:], p_base]
    auc = lambda c: round(float(np.trapezoid(c, FRACTIONS)), 4)
    at10 = FRACTIONS.index(0.1)
    d_auc, r_auc = auc(deletion), auc(random)
    forwards = len(sent) + 3 * k
    return {"deletion_auc": d_auc, "insertion_auc": auc(insertion), "random_deletion_auc": r_auc,
            "verdict": verdict(p_x, p_base, d_auc, r_auc), "p_original": round(p_x, 4), "p_baseline": round(p_base, 4),
            "p_deleted_10pct": round(float(deletion[at10]), 4),
            "p_random_10pct": round(float(random[at10]), 4), "fractions": list(FRACTIONS), "patch": patch,
            "deletion": [round(float(v), 4) for v in deletion], "insertion": [round(float(v), 4) for v in insertion],
            "random_deletion": [round(float(v), 4) for v in random], "forwards": forwards}
