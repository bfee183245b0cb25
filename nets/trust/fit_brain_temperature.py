"""Temperature of the MRI model on the held-out subjects' simulated volumes (as nets.evaluate mri makes them:
fresh random atrophy and nuisance, equal volumes per level). The volumes have equal levels, so the temperature is
fitted at the training prior (the decision prior's logit offsets taken out). The service divides the whole logit
vector by T, so the top class, and with it every decision and metric in the card, stays exactly as it was; the
decision prior's offsets are divided too, so the shown probabilities carry a milder prior than the one the
decisions are made under (recorded in the card)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nets.trust import temperature_scaling as ts

SEED, REPS = 777, 2  # not the card evaluation's seed: fresh volumes


def held_out_logits(model, brains, subjects, seed=SEED, reps=REPS):
    from nets.simulation.atrophy import LEVELS
    from nets.data.simulated_atrophy_dataset import SimulatedAtrophyDataset
    ds = SimulatedAtrophyDataset(brains, subjects, len(subjects) * LEVELS * reps, seed, augment=True)
    logits, labels, groups = [], [], []
    for i in range(len(ds)):
        x, y, _ = ds[i]
        with torch.no_grad():
            logits.append(model(x[None])[0].numpy())
        labels.append(int(y))
        groups.append(subjects[i % len(subjects)])
    return np.array(logits, np.float64), np.array(labels), np.array(groups)


def brain_calibration(m, brains, subjects, card_file: Path) -> dict:
    subjects = [s for s in subjects if s in brains]
    logits, labels, groups = held_out_logits(m.module, brains, subjects)
    off = np.asarray((m.card.get("decision_prior") or {}).get("logit_offsets") or np.zeros(logits.shape[1]))
    z = logits - off  # the evidence at the training prior (equal levels, like these volumes)
    t = ts.fit_temperature(z, labels)
    before, after = ts.reliability(ts.calibrated(z, 1.0), labels), ts.reliability(ts.calibrated(z, t), labels)
    plot_dir = card_file.parent / (Path(m.weights_path).stem + "_plots")
    png = ts.save_reliability_diagram(before, after, t, plot_dir / "reliability.png",
                                      f"{m.name}: {len(labels)} held-out simulated volumes, training prior")
    cn = float(np.exp(off[0] / t))
    return {"method": "temperature fitted on the evidence (logits minus the decision prior's offsets) at the training "
                      "prior; the service divides the whole logit vector by T, so no decision changes",
            "prior_offsets_kept": False,
            "shown_prior_odds_cn_vs_each_other_level": round(cn / float(np.exp(np.max(off[1:]) / t)), 3),
            "temperature": round(t, 4), "n_validation": int(len(labels)), "subjects": subjects,
            "volumes": f"SimulatedAtrophyDataset seed {SEED}, {REPS} per subject and level (as nets.evaluate mri)",
            "ece_before": round(before["ece"], 4), "ece_after": round(after["ece"], 4),
            "ece_after_cross_fitted": round(ts.cross_fitted_ece(z, labels, groups), 4),
            "nll_before": round(ts.nll(z, labels, 1.0), 4), "nll_after": round(ts.nll(z, labels, t), 4),
            "decisions_as_shipped": ts.decisions(ts.calibrated(logits, 1.0), ts.calibrated(logits, t), labels),
            "ece_as_shipped_on_these_equal_level_volumes": round(
                ts.reliability(ts.calibrated(logits, t), labels)["ece"], 4),
            "measured_at": "training prior (equal levels); at the shipped decision prior these equal-level "
                           "volumes are not a calibration target",
            "reliability_diagram": str(Path(png).relative_to(card_file.parent)),
            "command": "python -m nets.fit_trust mri"}
