"""Choose how a stage model decides CN, on validation subjects only, and compare two designs on the same people.

A. 5-class argmax under a CN decision prior q (the others share 1 - q; nets/networks/prior_shift.py): the smallest q
   whose CN rate on the unmodified real validation brains reaches TARGET_CN.
B. Continuous severity score (expected level, probabilities @ 0..4): CN when the score is at most the PERCENTILE-th
   percentile of the unmodified real validation brains' scores; above it the most probable non-CN level.
C. A with the person's age (nets/networks/age_reference.py): A's prior, and CN logit + per_year x max(0, age -
   hinge), hinge and slope fitted on the training subjects' unmodified brains: nothing more is chosen on the
   validation subjects. (Re-choosing the smallest prior after the age term lowered it for everyone, 0.36 -> 0.22,
   and left young validation brains CN by a margin of 0.03 log-odds: rejected.)
All are also cross-fitted (the rule chosen without the subject it is applied to: leave one subject out), which is
the honest estimate of the CN rate on new people. CLI:
python -m nets.evaluation.cn_operating_point [--weights PATH] [--out JSON] [--update-card]
(--update-card: the comparison goes into the card's `design_comparison` and design C's parameters into its
`age_reference`, which the service applies when an age is given.)
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
    from nets.networks.age_reference import cn_prior_offsets
    return cn_prior_offsets(q, LEVELS)


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


def by_band(values, ages) -> dict:
    return {name: (float(np.mean(values[(ages >= lo) & (ages < hi)])) if np.any((ages >= lo) & (ages < hi))
                   else None) for lo, hi, name in BANDS}


def summarise(decisions_real, decisions_sim, levels_sim, ages, sim_ages=None) -> dict:
    """CN rate on unmodified real brains (overall and per age band) and per simulated level: share called CN,
    share called LMCI/AD (per age band too when sim_ages are given), balanced accuracy over levels."""
    called = decisions_real == 0
    conf = np.zeros((LEVELS, LEVELS), int)
    for y, d in zip(levels_sim, decisions_sim):
        conf[y, d] += 1
    recall = conf.diagonal() / np.maximum(conf.sum(1), 1)
    l4 = levels_sim == LEVELS - 1
    out = {"real_unmodified_called_cn": float(np.mean(called)), "real_called_cn_by_age_band": by_band(called, ages),
           "simulated_called_cn_by_level": [float(np.mean(decisions_sim[levels_sim == k] == 0)) for k in range(LEVELS)],
           "most_severe_called_lmci_or_ad": float(np.mean(decisions_sim[l4] >= LEVELS - 2)),
           "balanced_accuracy_levels": float(recall.mean()), "confusion": conf.tolist()}
    if sim_ages is not None:
        out["most_severe_called_lmci_or_ad_by_age_band"] = by_band(decisions_sim[l4] >= LEVELS - 2, sim_ages[l4])
    return out


def cross_fitted_called(real_logits, choose, decide, applied=None) -> np.ndarray:
    """Leave one subject out: the rule chosen on the others' `real_logits`, applied to the one left out's `applied`
    logits (default: the same; design C: with its age term) (True = called CN)."""
    applied = real_logits if applied is None else applied
    return np.array([decide(applied[i:i + 1], choose(np.delete(real_logits, i, 0)))[0] == 0
                     for i in range(len(real_logits))])


def cross_fitted_cn(real_logits, choose, decide) -> float:
    return float(np.mean(cross_fitted_called(real_logits, choose, decide)))


def with_age(logits, ages, reference) -> np.ndarray:
    """Design C's logits: the CN logit raised as the service raises it (AgeReference.cn_added) for each age."""
    z = np.array(logits, np.float64)
    z[:, 0] += [reference.cn_added(a) for a in ages]
    return z


def design_age(real_logits, sim_logits, levels, age, sim_age, train_logits, train_age) -> dict:
    """Design C on the validation subjects; hinge and slope from the training subjects' unmodified brains."""
    from nets.networks.age_reference import AgeReference, cn_log_odds, fit_age_trend
    train_odds = cn_log_odds(train_logits)
    hinge, per_year, sse = fit_age_trend(train_age, train_odds)
    q = choose_prior(real_logits)  # A's prior, chosen without the age term
    # the service's rule; the trend is not extrapolated past the oldest training brain
    ref = AgeReference(hinge, per_year, q, q, float(np.max(train_age)))
    real, sim = with_age(real_logits, age, ref), with_age(sim_logits, sim_age, ref)
    cf = cross_fitted_called(real_logits, choose_prior, decide_prior, applied=real)
    return {"hinge_years": hinge, "per_year": round(per_year, 4), "max_age_years": round(ref.max_age_years, 1),
            "trend_residual_ss": round(sse, 2), "n_training_brains": len(train_age),
            "training_cn_log_odds_by_age_band": {
                name: {"n": int(k.sum()), "median": round(float(np.median(train_odds[k])), 2),
                       "lowest": round(float(train_odds[k].min()), 2)}
                for lo, hi, name in BANDS if (k := (train_age >= lo) & (train_age < hi)).any()},
            "cn_prior_with_age": q,
            **summarise(decide_prior(real, q), decide_prior(sim, q), levels, age, sim_age),
            "cross_fitted_real_called_cn": float(np.mean(cf)),
            "cross_fitted_real_called_cn_by_age_band": by_band(cf, age)}


def compare_designs(model, brains, subjects, ages: dict, seed=777, reps=1, fixed_prior=None, train_subjects=()) -> dict:
    """The designs on the same validation subjects: the unmodified real brains and `reps` simulated volumes per
    subject and level (SimulatedAtrophyDataset, with nuisance). Design C needs `train_subjects` (its age trend)."""
    from nets.data.brain_subjects import is_real_subject
    from nets.data.simulated_atrophy_dataset import SimulatedAtrophyDataset
    real = [s for s in subjects if is_real_subject(s)]
    real_logits = logits_of(model, [brains[s] for s in real])
    age = np.array([ages.get(s, np.nan) for s in real])
    ds = SimulatedAtrophyDataset(brains, real, len(real) * LEVELS * reps, seed, augment=True)
    items = [ds[i] for i in range(len(ds))]
    sim_logits = logits_of(model, [x[0].numpy() for x, _, _ in items])
    levels = np.array([y for _, y, _ in items])
    sim_age = age[np.arange(len(items)) % len(real)]  # item i simulates subject i mod n (SimulatedAtrophyDataset)
    q, b = choose_prior(real_logits), choose_boundary(real_logits)
    cf_a = cross_fitted_called(real_logits, choose_prior, decide_prior)
    train = [s for s in train_subjects if is_real_subject(s) and s in ages]
    out = {"subjects": real, "target_cn_rate": TARGET_CN, "percentile": PERCENTILE,
           "at_training_prior": summarise(real_logits.argmax(1), sim_logits.argmax(1), levels, age),
           "A_prior": {"cn_prior": q, **summarise(decide_prior(real_logits, q), decide_prior(sim_logits, q), levels,
                                                  age, sim_age),
                       "cross_fitted_real_called_cn": float(np.mean(cf_a)),
                       "cross_fitted_real_called_cn_by_age_band": by_band(cf_a, age)},
           "B_severity_boundary": {"boundary": round(b, 4),
                                   **summarise(decide_severity(real_logits, b), decide_severity(sim_logits, b),
                                               levels, age),
                                   "cross_fitted_real_called_cn": cross_fitted_cn(real_logits, choose_boundary,
                                                                                  decide_severity)},
           **({"C_age": design_age(real_logits, sim_logits, levels, age, sim_age,
                                   logits_of(model, [brains[s] for s in train]), np.array([ages[s] for s in train]))}
              if train else {}),
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
    ap.add_argument("--update-card", action="store_true",
                    help="write the comparison and design C's parameters (age_reference) into the weights' card")
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
    train, val = split_subjects(list(brains), ages)
    res = compare_designs(m.module.eval(), brains, val, ages, reps=a.reps,
                          fixed_prior=(dp.get("prior") or {}).get("CN"), train_subjects=train)
    if a.update_card:
        write_to_card(m.weights_path, res, a.reps)
    text = json.dumps(res, indent=2)
    if a.out:
        from pathlib import Path
        Path(a.out).write_text(text)
    print(text)
    return 0


def _why_age(res: dict) -> str:
    a, c, band = res["A_prior"], res["C_age"], "55+"
    return (f"on the same {len(res['subjects'])} validation subjects, with their ages: unmodified brains aged 55+ "
            f"called CN {c['real_called_cn_by_age_band'][band]:.2f} (A {a['real_called_cn_by_age_band'][band]:.2f}), "
            f"cross-fitted {c['cross_fitted_real_called_cn_by_age_band'][band]:.2f} "
            f"(A {a['cross_fitted_real_called_cn_by_age_band'][band]:.2f}); most severe simulated level read LMCI/AD "
            f"{c['most_severe_called_lmci_or_ad']:.2f} (A {a['most_severe_called_lmci_or_ad']:.2f}); simulated levels "
            f"called CN {[round(x, 2) for x in c['simulated_called_cn_by_level']]} "
            f"(A {[round(x, 2) for x in a['simulated_called_cn_by_level']]})")


def write_to_card(weights_path, res: dict, reps: int) -> None:
    """The comparison into `design_comparison`; design C's parameters into `age_reference` (under the prior baked
    into these weights, the training prior when none is)."""
    from pathlib import Path
    from nets.training.model_card import card_path_for
    cp = card_path_for(Path(weights_path))
    card = json.loads(cp.read_text())
    card["design_comparison"] = res
    c = res.get("C_age")
    if c:
        baked = ((card.get("decision_prior") or {}).get("prior") or {}).get("CN", 1 / LEVELS)
        card["age_reference"] = {
            "hinge_years": c["hinge_years"], "per_year": c["per_year"], "cn_prior_with_age": c["cn_prior_with_age"],
            "cn_prior_baked": baked, "max_age_years": c["max_age_years"],
            "applied": "only when the person's age is given: CN logit + per_year x max(0, age - hinge_years), under "
                       "the CN prior cn_prior_with_age (nets/networks/age_reference.py)",
            "why": _why_age(res),
            "fitted_on": f"hinge and slope: the {c['n_training_brains']} training subjects' unmodified brains "
                         "(CN log-odds at the training prior); prior: the validation subjects, as design A's",
            "command": "python -m nets.evaluation.cn_operating_point --update-card" + (f" --reps {reps}" if reps != 1
                                                                                       else "")}
    cp.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    from nets.cli_contract import exit_process, run_cli
    exit_process(run_cli(main))
