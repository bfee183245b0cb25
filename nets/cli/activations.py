"""CLI: python -m nets.activations FILE [--layer NAME[,NAME]] [--top K] [--out DIR] [--task T] [--model NAME] [--force]

What each layer sees: the K strongest feature maps (by mean activation) of every stage of the network for FILE
(nets/interpret/activations.py). 2D models: one PNG per stage with K maps; the MRI model: one PNG per stage, one row
per channel with its axial, coronal and sagittal mid-plane slices. Prints JSON: the prediction and, per layer, its
shape, the channels shown, their mean activation, a sentence on what such a layer responds to (en, zh) and the PNG.
Errors print {"error", "message"} on stderr and exit non-zero.
"""
import argparse
import json
from pathlib import Path

from nets.cli_contract import JsonArgumentParser, exit_process, run_cli
from nets.errors import InputError


def main(argv=None) -> int:
    ap = JsonArgumentParser(prog="python -m nets.activations", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--layer", help="only these layers (comma-separated names, e.g. stem,stage4)")
    ap.add_argument("--top", type=int, default=8, help="feature maps per layer (default 8)")
    ap.add_argument("--out", default="imgs/activations", help="folder for the PNGs (default imgs/activations)")
    ap.add_argument("--task", choices=["mri", "chest", "skin"])
    ap.add_argument("--model")
    ap.add_argument("--force", action="store_true", help="answer even when the input gate refuses the input")
    a = ap.parse_args(argv)
    if not 1 <= a.top <= 64:
        raise InputError("--top must be between 1 and 64.")
    from nets.interpret.activations import result_activations, stage_text
    from nets.predictor import Predictor
    from nets.render.activation_grid import save_stage_grids
    layers = [n.strip() for n in a.layer.split(",") if n.strip()] if a.layer else None
    r = Predictor().predict_file(a.path, task=a.task, model=a.model, explain=False, force=a.force)
    try:
        acts = result_activations(r, a.top, layers)
    except ValueError as e:  # an unknown layer name
        raise InputError(str(e)) from None
    images = save_stage_grids(acts, Path(a.out), prefix=f"{r.run_id}_")
    j = r.to_json()
    rows = [{**s.summary(), "text": {lang: stage_text(s.name, lang) for lang in ("en", "zh")},
             "image": images[s.name]} for s in acts.stages]
    print(json.dumps({"file": a.path, "task": j["task"], "model": j["model"], "prediction": j["prediction"],
                      "top": a.top, "scaling": "each map scaled to its own maximum (viridis)",
                      "layers": rows}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
