"""A fixed set of simulated-atrophy volumes, generated once (in parallel) and cached as float16 on disk.

Simulation with its nuisance augmentation costs ~0.8 s per volume on one core, 20x a training step per volume, so
training draws from a pre-generated set and adds only cheap tensor-side variation (flip, shift, gamma, noise).
"""
from __future__ import annotations

import hashlib
import json
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from nets.data.brain_subjects import CACHE
from nets.simulation.atrophy import LEVELS, simulate

_BRAINS = None


def _init(brains):
    global _BRAINS
    _BRAINS = brains


def _one(job):
    subject, level, seed, augment, mechanisms, warp, ventricles = job
    s = simulate(_BRAINS[subject], level, np.random.default_rng(seed), augment=augment, mechanisms=mechanisms,
                 anatomy_warp_voxels=warp, ventricle_variation=ventricles)
    return s.image.astype(np.float16)


def build_set(brains: dict, subjects: list, variants: int, seed: int, workers: int = 2, progress=True,
              augment=True, mechanisms=("push", "replace"), anatomy_warp_voxels=0.0,
              ventricle_variation=0.0) -> dict:
    """variants volumes per subject and level; returns images (N,80,96,80) float16, levels, subjects. Cached under
    cache/ by content of the request."""
    order = sorted(brains)  # a subject's volumes do not depend on which other subjects are in the set
    jobs = [(s, lvl, [seed, k, lvl, order.index(s)], augment, tuple(mechanisms), float(anatomy_warp_voxels),
             float(ventricle_variation))
            for s in subjects for lvl in range(LEVELS) for k in range(variants)]
    request = [sorted(subjects), variants, seed, augment, list(mechanisms), float(anatomy_warp_voxels),
               float(ventricle_variation), _simulation_version()]
    key = hashlib.sha256(json.dumps(request).encode()).hexdigest()
    path = Path(CACHE) / f"atrophy_set_{key[:12]}.npz"
    if path.exists():
        d = np.load(path)
        return {k: d[k] for k in d.files}
    ctx = get_context("fork")
    with ctx.Pool(workers, initializer=_init, initargs=({s: brains[s] for s in subjects},)) as pool:
        res = list(tqdm(pool.imap(_one, jobs, chunksize=4), total=len(jobs), desc="simulating atrophy",
                        disable=not progress))
    out = {"images": np.stack(res),
           "levels": np.array([j[1] for j in jobs], np.int64), "subjects": np.array([j[0] for j in jobs])}
    Path(CACHE).mkdir(exist_ok=True)
    np.savez(path, **out)
    return out


def _simulation_version() -> str:
    src = (Path(__file__).parents[1] / "simulation" / "atrophy.py").read_text()
    src += (Path(__file__).parents[1] / "simulation" / "structures.py").read_text()
    src += (Path(__file__).parents[1] / "simulation" / "anatomy_warp.py").read_text()
    return hashlib.sha256(src.encode()).hexdigest()[:12]


class TensorAugment:
    """Cheap per-batch variation on pre-generated volumes: left-right flip, shift by up to 2 voxels, smooth bias
    field (+-10 %), gamma, noise."""

    def __init__(self, seed: int):
        self.g = torch.Generator().manual_seed(seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = []
        for v in x:
            if torch.rand(1, generator=self.g) < 0.5:
                v = v.flip(1)
            sh = torch.randint(-2, 3, (3,), generator=self.g).tolist()
            v = torch.roll(v, sh, dims=(1, 2, 3))
            low = torch.randn((1, 1, 3, 4, 3), generator=self.g)
            bias = torch.nn.functional.interpolate(low, size=v.shape[1:], mode="trilinear", align_corners=True)[0]
            v = v * (1 + 0.1 * bias / bias.abs().max().clamp_min(1e-6))
            gamma = float(torch.empty(1).uniform_(0.85, 1.15, generator=self.g))
            v = v.clamp_min(0) ** gamma
            v = v + torch.randn(v.shape, generator=self.g) * float(torch.rand(1, generator=self.g)) * 0.02 * (v > 0)
            out.append(v)
        return torch.stack(out)
