"""CLI: python -m nets.calibrate mri --class-prior SPEC [--model NAME] [--weights PATH] [--why TEXT]

Sets the class prior a model answers under (its operating point, nets/networks/prior_shift.py): the logit offsets
go into the last layer's bias in the weights file, and the card next to it records the prior, the new sha256 and the
sha256 of the file as training wrote it; prints JSON. SPEC: 'CN=2/3' (the other classes share the rest equally),
'CN=0.5,AD=0.2', or 'uniform' (the training prior: takes the shift out again, up to float rounding). MRI only: its
models are trained on equally many volumes per severity level, so their training prior is uniform. The card's
metrics were measured at the old operating point: re-run `python -m nets.evaluate mri --update-card` afterwards.
"""
import argparse
import json
from pathlib import Path

import torch

from nets.networks.prior_shift import apply_prior_shift, card_offsets, logit_offsets, parse_prior
from nets.cli_contract import JsonArgumentParser, exit_process, run_cli
from nets.errors import InputError, ModelUnavailableError


def main(argv=None):
    ap = JsonArgumentParser(prog="python -m nets.calibrate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["mri"])
    ap.add_argument("--class-prior", required=True, metavar="SPEC")
    ap.add_argument("--model")
    ap.add_argument("--weights")
    ap.add_argument("--why", default="", help="the reason for this operating point, kept in the card")
    a = ap.parse_args(argv)
    from nets.registry import ModelRegistry
    from nets.model_card import card_path_for, sha256_file
    m = ModelRegistry().get(a.model, task=a.task, weights=a.weights)  # a fresh load of the file as it is now
    if m.config.architecture != "BrainCNN3D":  # e.g. the older app's ADNI model: its class balance is not known
        raise InputError(f"{m.name}: only models trained by nets.train mri (equal volumes per level) have a known "
                         "training prior to shift from")
    if not m.trained or not m.weights_path:
        raise ModelUnavailableError(f"{m.name} has no trained weights to calibrate")
    weights = Path(m.weights_path)
    cp = card_path_for(weights)
    if not cp.exists():
        raise ModelUnavailableError(f"no model card at {cp}")
    classes = list(m.config.classes)
    try:
        prior = parse_prior(a.class_prior, classes)
    except ValueError as e:
        raise InputError(str(e)) from None
    card = json.loads(cp.read_text())
    training = parse_prior("uniform", classes)
    before = card_offsets(card, classes)
    offsets = logit_offsets(classes, prior, training)
    apply_prior_shift(m.module, offsets - (before if before is not None else 0))
    training_sha = (card.get("decision_prior") or {}).get("training_weights_sha256") or sha256_file(weights)
    torch.save(m.module.state_dict(), weights)
    card.update(sha256=sha256_file(weights), size_bytes=weights.stat().st_size)
    if max(abs(offsets)) < 1e-9:
        card.pop("decision_prior", None)
        dp = None
    else:
        dp = card["decision_prior"] = {
            "prior": prior, "training_prior": training, "logit_offsets": [float(o) for o in offsets],
            "applied": "log(prior / training prior) added to the last linear layer's bias in this weights file by "
                       "python -m nets.calibrate (nets/networks/prior_shift.py)",
            "training_weights_sha256": training_sha, "why": a.why}
    cp.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    print(json.dumps({"model": m.name, "weights": str(weights), "sha256": card["sha256"], "card": str(cp),
                      "decision_prior": dp, "next": "python -m nets.evaluate mri --update-card"}, indent=2))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
