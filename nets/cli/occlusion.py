"""CLI: python -m nets.occlusion FILE [--target CLASS] [--reference HEALTHY.nii.gz] [--model NAME] [--weights PATH]
[--top N] [--window-mm 24] [--stride-mm 12] [--full] [--out DIR]

Which regions of a brain MRI, made typical, would change the model's answer: every 24 mm cube in turn is replaced by
the same cube of a healthy reference brain (default: the MNI152 template) and the change of the target class's
log-odds is recorded (nets/interpret/occlusion.py). Cubes outside both brains are skipped (they change nothing);
by default coarse to fine (the non-overlapping cubes, then the finer ones around the 8 strongest: a few hundred
forwards, seconds); --full tries every cube (2,160 forwards, about 48 s on 2 CPU cores). Prints JSON: the
prediction, the target's log-odds, and the cubes that most raise ("raise": these regions argue against the target)
and most lower it ("lower": they support it), each with its MNI centre, AAL region and ventricle / medial temporal
share. Errors print {"error", "message"} on stderr and exit non-zero, as nets.predict does.
"""
import argparse
import json
import sys

from tqdm import tqdm

from nets.errors import InputError
from nets.cli_contract import JsonArgumentParser, exit_process, run_cli


def main(argv=None) -> int:
    ap = JsonArgumentParser(prog="python -m nets.occlusion", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--target", help="class whose log-odds are measured (default: CN)")
    ap.add_argument("--reference", help="a healthy brain NIfTI to take the cubes from (default: MNI152 template)")
    ap.add_argument("--model")
    ap.add_argument("--weights")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--window-mm", type=int, default=24, help="cube edge (even, in mm; the grid is 2 mm)")
    ap.add_argument("--stride-mm", type=int, default=12, help="step between cubes in mm (larger: faster, coarser)")
    ap.add_argument("--full", action="store_true", help="every stride-spaced cube, not coarse to fine")
    ap.add_argument("--out", help="image output root (default: imgs/); the map goes to OUT/img_occlusion/")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    from nets.predictor import Predictor
    pred = Predictor(imgs_root=a.out) if a.out else Predictor()
    try:
        r = pred.predict_file(a.path, task="mri", model=a.model, weights=a.weights, explain=False)
        with tqdm(total=100, desc="occlusion", unit="%", file=sys.stderr, disable=a.no_progress) as bar:
            occ = pred.occlusion(r, a.target, a.reference, a.top,
                                 progress=lambda f: bar.update(round(f * 100) - bar.n),
                                 window=max(1, a.window_mm // 2), stride=max(1, a.stride_mm // 2), full=a.full)
    except InputError as e:
        print(json.dumps(e.to_dict(), ensure_ascii=False), file=sys.stderr)
        return 2
    j = r.to_json()
    print(json.dumps({"file": a.path, "model": j["model"], "prediction": j["prediction"],
                      "probabilities": j["probabilities"], "warnings": j["warnings"], "occlusion": occ},
                     indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
