"""CLI: python -m nets.evaluate_faithfulness {chest,skin,mri} [--n N] [--methods lrp,occlusion] [--weights W]
     [--update-card]

How often does each explanation method's map point at what matters? For N inputs the model never trained on (2D:
random images of its validation split; MRI: simulated atrophy, levels 2-4, of the held-out subjects), the map for
the predicted class is scored by deletion and insertion (nets/interpret/faithfulness.py) against deletion in
random order. Prints JSON: per method, the share of inputs whose deletion AUC is below the random one (target: at
least 0.9 for the map the page shows first), the share where the check is conclusive (hiding everything moves
P(class) by >= 0.1; nets/interpret/faithfulness.py) and the rate among those, median AUCs; per predicted class, how
far hiding the whole input moves P(class). --update-card writes it into the model card
(`explanation_checks.faithfulness`).
"""
import json

import numpy as np
import torch
from tqdm import tqdm
from nets.cli_contract import explanation_check_parser, exit_process, run_cli


def evaluate(loaded, inputs, methods, reference=None, mask=None, progress=True, baseline="blur") -> dict:
    from nets.interpret.attribution import map_function
    from nets.interpret.faithfulness import deletion_insertion, image_baseline
    task = loaded.config.task
    rows, targets = {m: [] for m in methods}, []
    fns = {m: map_function(m, task, reference, mask) for m in methods}
    for item in tqdm(inputs, desc=f"faithfulness {task}", disable=not progress):
        x = item["x"]
        with torch.no_grad():
            target = int(loaded.module(x).argmax())
        targets.append(target)
        base = image_baseline(x, baseline) if task != "mri" else torch.from_numpy(reference)[None, None]
        for m in methods:
            f = deletion_insertion(loaded.module, x, base, fns[m](loaded.module, x, target), target, region=mask)
            rows[m].append(f)
    out = {}
    for m, fs in rows.items():
        d = np.array([f["deletion_auc"] for f in fs])
        r = np.array([f["random_deletion_auc"] for f in fs])
        i = np.array([f["insertion_auc"] for f in fs])
        c = np.array([f["verdict"] != "inconclusive" for f in fs])
        out[m] = {"deletion_below_random_rate": round(float(np.mean(d < r)), 3),
                  "conclusive_rate": round(float(np.mean(c)), 3),
                  "deletion_below_random_rate_when_conclusive": round(float(np.mean((d < r)[c])), 3) if c.any()
                  else None,
                  "median_deletion_auc": round(float(np.median(d)), 4),
                  "median_random_deletion_auc": round(float(np.median(r)), 4),
                  "median_insertion_auc": round(float(np.median(i)), 4),
                  "insertion_above_deletion_rate": round(float(np.mean(i > d)), 3)}
    return out, baseline_by_class(rows[methods[0]], targets, loaded.config.classes)


def baseline_by_class(fs: list, targets: list, classes) -> dict:
    """Per predicted class: how far hiding the whole input moves P(class) (the same for every method), i.e. where
    the check can tell a map from random order at all."""
    out = {}
    for k in sorted(set(targets)):
        sel = [f for f, t in zip(fs, targets) if t == k]
        median = lambda key: round(float(np.median([f[key] for f in sel])), 3)  # noqa: E731
        out[classes[k]] = {"n": len(sel), "median_p_original": median("p_original"),
                           "median_p_baseline": median("p_baseline"),
                           "conclusive_rate": round(float(np.mean([f["verdict"] != "inconclusive" for f in sel])), 3)}
    return out


def main(argv=None) -> int:
    ap = explanation_check_parser("python -m nets.evaluate_faithfulness", __doc__, n=100)
    ap.add_argument("--baseline", choices=["blur", "mean"], default="blur",
                    help="2D: what hidden pixels become: a blurred copy (the page's check) or the training mean; "
                         "--update-card records 'mean' as explanation_checks.faithfulness_mean_fill")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from nets.evaluation.explanation_inputs import inputs_with_reference
    from nets.registry import REGISTRY
    m = REGISTRY.get(task=a.task, weights=a.weights)
    methods = a.methods.split(",") if a.methods else list(m.config.explainers)
    inputs, reference, mask = inputs_with_reference(m, a.task, a.n, a.data)
    what = ("simulated atrophy (levels 2-4) of the held-out subjects" if a.task == "mri"
            else "random images of the validation split (group split of the card)")
    baseline = "healthy reference brain" if a.task == "mri" else a.baseline
    rates, by_class = evaluate(m, inputs, methods, reference, mask, not a.no_progress, a.baseline)
    res = {"model": m.name, **({"weights": a.weights} if a.weights else {}), "inputs": what, "n": len(inputs), "target_class": "predicted", "baseline": baseline,
           "shown_first": m.config.explainers[0], "methods": rates, "baseline_by_predicted_class": by_class}
    if a.update_card:
        from nets.evaluation.explanation_card import record
        key = "faithfulness_mean_fill" if baseline == "mean" else "faithfulness"
        res["card"] = record(m, ("explanation_checks", key), res, "nets.evaluate_faithfulness")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
