"""CLI: python -m nets.calibrate mri --class-prior SPEC [--model NAME] [--weights PATH] [--why TEXT]

Sets the class prior a model answers under (its operating point, nets/networks/prior_shift.py) in the model card
next to its weights; prints JSON. SPEC: 'CN=2/3' (the other classes share the rest equally), 'CN=0.5,AD=0.2', or
'uniform' (the training prior: removes the shift). MRI only: its models are trained on equally many volumes per
severity level, so their training prior is uniform. The weights file and its sha256 are untouched; the card's metrics
were measured at the old operating point, so re-run `python -m nets.evaluate mri --update-card` afterwards.
"""
import argparse
import json
import sys

from nets.networks.prior_shift import logit_offsets, parse_prior


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m nets.calibrate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["mri"])
    ap.add_argument("--class-prior", required=True, metavar="SPEC")
    ap.add_argument("--model")
    ap.add_argument("--weights")
    ap.add_argument("--why", default="", help="the reason for this operating point, kept in the card")
    a = ap.parse_args(argv)
    from nets.registry import REGISTRY
    from nets.training.model_card import card_path_for
    m = REGISTRY.get(a.model, task=a.task, weights=a.weights)
    if not m.trained or not m.weights_path:
        raise SystemExit(f"{m.name} has no trained weights to calibrate")
    cp = card_path_for(m.weights_path)
    if not cp.exists():
        raise SystemExit(f"no model card at {cp}")
    classes = list(m.config.classes)
    try:
        prior = parse_prior(a.class_prior, classes)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    card = json.loads(cp.read_text())
    training = {c: 1 / len(classes) for c in classes}
    offsets = logit_offsets(classes, prior, training)
    if max(abs(offsets)) < 1e-9:
        card.pop("decision_prior", None)
        dp = None
    else:
        dp = card["decision_prior"] = {
            "prior": {c: round(p, 6) for c, p in prior.items()}, "training_prior": training,
            "logit_offsets": [round(float(o), 6) for o in offsets],
            "applied": "log(prior / training prior) added to the last linear layer's bias when the weights are "
                       "loaded (nets/networks/prior_shift.py); the weights file is the training output",
            "why": a.why}
    cp.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    print(json.dumps({"model": m.name, "card": str(cp), "decision_prior": dp,
                      "next": "python -m nets.evaluate mri --update-card"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
