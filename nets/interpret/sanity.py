"""Sanity check of explanation methods (Adebayo et al. 2018, cascading model-parameter randomisation).

The weights are replaced by random ones layer by layer, from the output down; after each step every map is
recomputed and compared with the trained model's map by Spearman rank correlation of |map| (the sign is compared
too, but |map| is what would betray an edge detector). A method whose map still looks the same when the whole
network is random shows the image, not the model: it is flagged (correlation above FLAG_ABOVE).
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from scipy.stats import spearmanr
from torch import nn

FLAG_ABOVE = 0.5


def layer_groups(model: nn.Module) -> list:
    """Names of the parameterised stages, output first: SmallResNet2D head, blocks (last first), stem;
    BrainCNN3D classifier, then each convolution (last first; the fixed blur stays)."""
    names = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.Conv3d)):
            names.append(name)
    groups, seen = [], set()
    for name in reversed(names):
        parts = name.split(".")
        group = ".".join(parts[:2]) if parts[0] == "features" and len(parts) > 2 else name
        if name == "features.0" and getattr(model, "stem", None) == "blur":
            continue  # the fixed anti-aliasing blur is not learned
        if group not in seen:
            seen.add(group)
            groups.append(group)
    return groups


@torch.no_grad()
def randomise(model: nn.Module, group: str, gen: torch.Generator) -> None:
    """In place: every conv / linear weight under `group` drawn anew, same standard deviation; biases zeroed."""
    for name, m in model.named_modules():
        if (name == group or name.startswith(group + ".")) and isinstance(m, (nn.Linear, nn.Conv2d, nn.Conv3d)):
            std = float(m.weight.std()) or 1e-2
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * std)
            if m.bias is not None:
                m.bias.zero_()


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman of |a| and |b| where either is non-zero: voxels outside the brain are zero in every LRP map and
    would make any two maps of the same brain look alike."""
    keep = (a != 0) | (b != 0)
    if keep.sum() < 3:
        return 1.0
    r = spearmanr(np.abs(a[keep]), np.abs(b[keep]))[0]
    return 0.0 if np.isnan(r) else float(r)


def cascading_randomisation(model: nn.Module, inputs: list, explain, seed: int = 0) -> dict:
    """inputs: list of (x, target); explain(model, x, target) -> map (numpy). Returns, per step (the groups
    randomised so far, output first), the mean rank correlation with the trained model's maps."""
    original = [explain(model, x, t) for x, t in inputs]
    work = copy.deepcopy(model).eval()
    gen = torch.Generator().manual_seed(seed)
    steps = []
    for group in layer_groups(model):
        randomise(work, group, gen)
        rs = [rank_correlation(o, explain(work, x, t)) for o, (x, t) in zip(original, inputs)]
        steps.append({"randomised_down_to": group, "spearman_abs_mean": round(float(np.mean(rs)), 3)})
    last = steps[-1]["spearman_abs_mean"] if steps else float("nan")
    return {"steps": steps, "spearman_fully_randomised": last, "flag": bool(last > FLAG_ABOVE),
            "n_inputs": len(inputs)}
