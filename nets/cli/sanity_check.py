"""CLI: python -m nets.sanity_check {chest,skin,mri} [--n N] [--methods ...] [--update-card]

Cascading model-parameter randomisation (Adebayo et al. 2018; nets/interpret/sanity.py): the shipped model's
weights are replaced by random ones stage by stage from the output down, and after each stage every method's map
(for the trained model's predicted class) is compared with the trained model's by Spearman rank correlation of
|map|. A method whose map stays similar with all weights random (above 0.5) is flagged: the page and the card say
so. Inputs: N validation images (2D) or N simulated-atrophy volumes of the held-out subjects (MRI). Prints JSON;
--update-card writes it into the model card (`sanity_check`).
"""
import json

import torch
from tqdm import tqdm
from nets.cli_contract import explanation_check_parser, exit_process, run_cli


def main(argv=None) -> int:
    ap = explanation_check_parser("python -m nets.sanity_check", __doc__, n=6)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from nets.evaluation.explanation_inputs import inputs_with_reference
    from nets.interpret.attribution import map_function
    from nets.interpret.sanity import FLAG_ABOVE, cascading_randomisation
    from nets.registry import REGISTRY
    m = REGISTRY.get(task=a.task, weights=a.weights)
    methods = a.methods.split(",") if a.methods else list(m.config.explainers)
    items, reference, mask = inputs_with_reference(m, a.task, a.n, a.data)
    with torch.no_grad():
        inputs = [(it["x"], int(m.module(it["x"]).argmax())) for it in items]
    res = {"model": m.name, **({"weights": a.weights} if a.weights else {}), "flag_above": FLAG_ABOVE, "methods": {}}
    for meth in tqdm(methods, desc=f"sanity {a.task}"):
        res["methods"][meth] = cascading_randomisation(m.module, inputs, map_function(meth, a.task, reference, mask))
    if a.update_card:
        from nets.evaluation.explanation_card import record
        res["card"] = record(m, ("sanity_check",), res, "nets.sanity_check")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
