"""Choose how a stage model decides CN, on validation subjects only, and compare two designs on the same people.

A. 5-class argmax under a CN decision prior q (the others share 1 - q; nets/networks/prior_shift.py): the smallest q
   whose CN rate on the unmodified real validation brains reaches TARGET_CN.
B. Continuous severity score (expected level, probabilities @ 0..4): CN when the score is at most the PERCENTILE-th
   percentile of the unmodified real validation brains' scores; above it the most probable non-CN level.
Both are also cross-fitted (the rule chosen without the subject it is applied to: leave one subject out), which is
the honest estimate of the CN rate on new people. CLI:
python -m nets.evaluation.cn_operating_point [--weights PATH] [--out JSON]
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from nets.simulation.atrophy import LEVELS

TARGET_CN = 0.95
PERCENTILE = 95.0
PRIORS = tuple(np.round(np.arange(0.20, 0.96, 0.01), 2))
BANDS = ((0, 40, "20-40"), (40, 55, "40-55"), (55, 200, "55+"))


def logits_of(model, volumes) -> np.ndarray:
    with torch.no_grad():
        return np.concatenate([model(torch.from_numpy(np.stack(volumes[i:i + 8]))[:, None].float()).double().numpy()
                               for i in range(0, len(volumes), 8)])


def prior_offsets(q: float) -> np.ndarray:
    p = np.array([q] + [(1 - q) / (LEVELS - 1)] * (LEVELS - 1))
    return np.log(p * LEVELS)


def decide_prior(logits: np.ndarray, q: float) -> np.ndarray:
    return (logits + prior_offsets(q)).argmax(1)


def severity(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    return p @ np.arange(LEVELS)


def decide_severity(logits: np.ndarray, boundary: float) -> np.ndarray:
    return np.where(severity(logits) <= boundary, 0, 1 + logits[:, 1:].argmax(1))


def choose_prior(real_logits: np.ndarray) -> float:
    for q in PRIORS:
        if np.mean(decide_prior(real_logits, q) == 0) >= TARGET_CN:
            return float(q)
    return float(PRIORS[-1])


def choose_boundary(real_logits: np.ndarray) -> float:
    return float(np.percentile(severity(real_logits), PERCENTILE))


def summarise(decisions_real, decisions_sim, levels_sim, ages) -> dict:
    """CN rate on unmodified real brains (overall and per age band) and per simulated level: share called CN,
    share called LMCI/AD, balanced accuracy over levels, AD vs CN."""
    called = decisions_real == 0
    by_band = {name: (float(np.mean(called[(ages >= lo) & (ages < hi)])) if np.any((ages >= lo) & (ages < hi))
                      else None) for lo, hi, name in BANDS}
    conf = np.zeros((LEVELS, LEVELS), int)
    for y, d in zip(levels_sim, decisions_sim):
        conf[y, d] += 1
    recall = conf.diagonal() / np.maximum(conf.sum(1), 1)
    l4 = decisions_sim[levels_sim == LEVELS - 1]
    return {"real_unmodified_called_cn": float(np.mean(called)), "real_called_cn_by_age_band": by_band,
            "simulated_called_cn_by_level": [float(np.mean(decisions_sim[levels_sim == k] == 0)) for k in range(LEVELS)],
            "most_severe_called_lmci_or_ad": float(np.mean(l4 >= LEVELS - 2)),
            "balanced_accuracy_levels": float(recall.mean()), "confusion": conf.tolist()}


def cross_fitted_cn(real_logits, choose, decide) -> float:
    """Leave one subject out: the rule chosen on the others, applied to the one left out."""
    hits = [decide(real_logits[i:i + 1], choose(np.delete(real_logits, i, 0)))[0] == 0
            for i in range(len(real_logits))]
    return float(np.mean(hits))


def compare_designs(model, brains, subjects, ages: dict, seed=777, reps=1, fixed_prior=None) -> dict:
    """Both designs on the same validation subjects: the unmodified real brains and `reps` simulated volumes per
    subject and level (SimulatedAtrophyDataset, with nuisance)."""
    from nets.data.brain_subjects import is_real_subject
    from nets.data.simulated_atrophy_dataset import SimulatedAtrophyDataset
    real = [s for s in subjects if is_real_subject(s)]
    real_logits = logits_of(model, [brains[s] for s in real])
    age = np.array([ages.get(s, np.nan) for s in real])
    ds = SimulatedAtrophyDataset(brains, real, len(real) * LEVELS * reps, seed, augment=True)
    items = [ds[i] for i in range(len(ds))]
    sim_logits = logits_of(model, [x[0].numpy() for x, _, _ in items])
    levels = np.array([y for _, y, _ in items])
    q, b = choose_prior(real_logits), choose_boundary(real_logits)
    out = {"subjects": real, "target_cn_rate": TARGET_CN, "percentile": PERCENTILE,
           "at_training_prior": summarise(real_logits.argmax(1), sim_logits.argmax(1), levels, age),
           "A_prior": {"cn_prior": q, **summarise(decide_prior(real_logits, q), decide_prior(sim_logits, q), levels,
                                                  age),
                       "cross_fitted_real_called_cn": cross_fitted_cn(real_logits, choose_prior, decide_prior)},
           "B_severity_boundary": {"boundary": round(b, 4),
                                   **summarise(decide_severity(real_logits, b), decide_severity(sim_logits, b),
                                               levels, age),
                                   "cross_fitted_real_called_cn": cross_fitted_cn(real_logits, choose_boundary,
                                                                                  decide_severity)},
           **({"at_fixed_prior": {"cn_prior": fixed_prior, **summarise(decide_prior(real_logits, fixed_prior),
                                                                       decide_prior(sim_logits, fixed_prior),
                                                                       levels, age)}} if fixed_prior else {}),
           "per_subject_p_cn_at_training_prior": {s: round(float(p), 3) for s, p in
                                                  zip(real, np.exp(real_logits[:, 0]) / np.exp(real_logits).sum(1))},
           "volumes": f"SimulatedAtrophyDataset seed {seed}, {reps} per subject and level"}
    return out


def main(argv=None):
    from nets.cli_contract import JsonArgumentParser
    ap = JsonArgumentParser(prog="python -m nets.evaluation.cn_operating_point", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", help="stage-model weights (default: the committed model)")
    ap.add_argument("--data", default=None)
    ap.add_argument("--out", help="also write the JSON here")
    ap.add_argument("--reps", type=int, default=1, help="simulated volumes per subject and level")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    from nets import SHARED_DATA
    from nets.data.brain_subjects import load_subjects
    from nets.data.subject_ages import subject_ages
    from nets.registry import ModelRegistry
    from nets.training.brain_split import split_subjects
    data = a.data or SHARED_DATA
    m = ModelRegistry().get(task="mri", weights=a.weights)
    dp = m.card.get("decision_prior") or {}
    if dp.get("logit_offsets"):  # judge the network at its training prior; the designs add their own rule
        m.module.classifier.bias.data -= torch.tensor(dp["logit_offsets"], dtype=torch.float32)
    ages = subject_ages(data)
    brains = load_subjects(data, progress=False)
    _, val = split_subjects(list(brains), ages)
    res = compare_designs(m.module.eval(), brains, val, ages, reps=a.reps,
                          fixed_prior=(dp.get("prior") or {}).get("CN"))
    text = json.dumps(res, indent=2)
    if a.out:
        from pathlib import Path
        Path(a.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    from nets.cli_contract import exit_process, run_cli
    exit_process(run_cli(main))
