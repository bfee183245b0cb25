"""How a stage model reads unmodified real brains (ds002748 `sub-XX` and IXI `IXIxxx`; templates are left out):
probabilities, CN rate, and stability under shifts, warps, acquisition variants; occlusion of non-CN answers."""
from __future__ import annotations

import numpy as np
import torch

from nets.data.brain_subjects import is_real_subject
from nets.simulation.atrophy import LEVELS
from nets.transforms.engine_grid import VOXEL_MM


def real_brain_probabilities(model, brains, subjects) -> dict:
    """Class probabilities for each unmodified real brain (ds002748 or IXI) among `subjects`."""
    with torch.no_grad():
        probs = {s: torch.softmax(model(torch.from_numpy(brains[s])[None, None]), 1)[0].double().numpy()
                 for s in subjects if is_real_subject(s)}
    return {s: p.round(3).tolist() for s, p in probs.items()}


def real_brains_called_cn(model, brains, subjects, probs=None):
    """Share of the unmodified real brains (ds002748 or IXI) among `subjects` that the model calls CN."""
    probs = real_brain_probabilities(model, brains, subjects) if probs is None else probs
    return float(np.mean([int(np.argmax(p)) == 0 for p in probs.values()])) if probs else None


def real_brains_under_shifts(model, brains, subjects) -> dict:
    """Each unmodified real brain (ds002748 or IXI) among `subjects` moved by 0 or 1 voxel (2 mm) along each axis: 8 copies.
    Registration puts a brain within about a voxel of where it lands, so an answer that flips under such a shift is
    not to be trusted. Reports the share of all shifted copies called CN, each brain's lowest CN probability, and
    the mean spread (highest - lowest) of the CN probability."""
    import itertools
    lows, spreads, called = {}, [], []
    with torch.no_grad():
        for s in (s for s in subjects if is_real_subject(s)):
            x = torch.from_numpy(brains[s])[None, None]
            # the brain mask leaves a margin of zeros, so rolling (wrapping round) moves no tissue across an edge
            xs = torch.cat([torch.roll(x, sh, dims=(2, 3, 4)) for sh in itertools.product((0, 1), repeat=3)])
            p = torch.softmax(model(xs), 1).double().numpy()
            called += (p.argmax(1) == 0).tolist()
            lows[s] = round(float(p[:, 0].min()), 3)
            spreads.append(float(p[:, 0].max() - p[:, 0].min()))
    if not called:
        return {}
    return {"shifts": 8, "called_cn": float(np.mean(called)), "lowest_cn_probability": lows,
            "mean_cn_probability_spread": float(np.mean(spreads))}


def real_brains_under_warps(model, brains, subjects, amplitudes=(1.0, 2.0, 3.0), draws=2) -> dict:
    """Each unmodified real brain (ds002748 or IXI) among `subjects` warped by random smooth fields (nets/simulation/
    anatomy_warp.py) whose largest displacement is 1, 2 or 3 voxels (2-6 mm): other plausible healthy anatomies,
    no atrophy. Per amplitude: share called CN and mean expected severity. A model trained with --anatomy-warp saw
    such warps on its training brains (not on these), so for it this is not an independent check."""
    from nets.simulation.anatomy_warp import displacement_field, warp
    real = [s for s in subjects if is_real_subject(s)]
    if not real:
        return {}
    out = {}
    for amp in amplitudes:
        p = []
        for i, s in enumerate(real):
            xs = np.stack([warp(brains[s], displacement_field(np.random.default_rng([i, k, int(amp * 10)]), amp))
                           for k in range(draws)])
            with torch.no_grad():
                p.append(torch.softmax(model(torch.from_numpy(xs)[:, None]), 1).double().numpy())
        p = np.concatenate(p)
        out[f"{amp * VOXEL_MM:g} mm"] = {"called_cn": float(np.mean(p.argmax(1) == 0)),
                                         "expected_severity": float((p @ np.arange(LEVELS)).mean())}
    return {"draws_per_brain": draws, "by_largest_displacement": out}


def real_brains_under_acquisition(model, data_dir, subjects) -> dict:
    """Each unmodified real brain (ds002748 or IXI) among `subjects` as another scanner or protocol might have stored it
    (nets/simulation/acquisition_variants.py: gamma, coil bias field, Rician noise, thick slices, grey/white
    contrast, blur, head tilt and size), taken through the engine's whole preprocessing. Reports the share called CN
    per variant and over all, and each brain's lowest CN probability."""
    from nets.data.brain_subjects import subject_files
    from nets.io.nifti_loader import load_nifti
    from nets.simulation.acquisition_variants import ACQUISITION_VARIANTS
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    files = subject_files(data_dir)
    real = [s for s in subjects if is_real_subject(s) and s in files]
    if not real:
        return {}
    prep = BrainPreprocessor()
    called = {k: [] for k in ACQUISITION_VARIANTS}
    lows = {}
    for s in real:
        vol = load_nifti(files[s])
        xs = np.stack([prep(f(vol)).image for f in ACQUISITION_VARIANTS.values()])
        with torch.no_grad():
            p = torch.softmax(model(torch.from_numpy(xs)[:, None]), 1).double().numpy()
        for k, pk in zip(ACQUISITION_VARIANTS, p):
            called[k].append(int(pk.argmax() == 0))
        lows[s] = round(float(p[:, 0].min()), 3)
    return {"called_cn": float(np.mean(list(called.values()))),
            "called_cn_by_variant": {k: float(np.mean(v)) for k, v in called.items()},
            "lowest_cn_probability": lows}


def real_brains_not_cn_occlusion(model, brains, subjects, top=3, probs=None, max_brains=8) -> dict:
    """For each unmodified real brain (ds002748 or IXI) among `subjects` that is not called CN: which 24 mm cube, replaced by the
    same cube of the mean of the other real brains (none of `subjects`), raises the CN log-odds most
    (nets/interpret/occlusion.py). Reports the cubes as `describe_cubes` does (MNI centre, CN log-odds change,
    AAL region, how much of each is lateral ventricle / medial temporal lobe), so a non-CN answer can be traced to anatomy. probs: the brains'
    `real_brain_probabilities`, if already computed."""
    from nets.interpret.occlusion import OcclusionSensitivity, cn_log_odds, describe_cubes
    others = [s for s in brains if is_real_subject(s) and s not in subjects]
    probs = real_brain_probabilities(model, brains, subjects) if probs is None else probs
    flagged = [s for s, p in probs.items() if int(np.argmax(p)) != 0][:max_brains]
    if not flagged or not others:
        return {}
    reference = np.mean([brains[s] for s in others], 0).astype(np.float32)
    occ = OcclusionSensitivity(model)
    out = {}
    for s in flagged:
        base, changes = occ(brains[s], reference, cn_log_odds)
        out[s] = {"cn_log_odds": round(base, 2), "reference": f"mean of {len(others)} other real brains",
                  "cubes": describe_cubes(changes, occ.window, brains[s], top)}
    return out
