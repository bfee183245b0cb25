"""CLI: python -m nets.predict FILE|DIR [--model NAME] [--weights PATH] [--target CLASS] [--out DIR] [--no-explain]
[--save-relevance OUT.nii.gz] [--task {mri,chest,skin}] [--force] [--runtime {torch,onnx}] [--int8]
[--workers N | --scheduler tcp://HOST:PORT] [--resume] [--report OUT.pdf [--lang zh]] [--age YEARS]

Prints one JSON object per file (a folder: a progress bar, every file, and a summary.csv/summary.json in --out;
--workers / --scheduler run the folder on Dask, see nets/batch.py).
Errors print {"error", "message"} on stderr and exit non-zero. An input the model's gate refuses (not_a_chest_xray,
not_dermoscopy, not_a_t1_brain) prints "can_force": true; --force answers anyway, with a warning.
"""
import argparse
import os
import json
import sys
from pathlib import Path

from nets.cli_contract import JsonArgumentParser, run_cli
from nets.errors import InputError


def _options(a):
    from nets.batch import BatchOptions
    return BatchOptions(task=a.task, model=a.model, weights=a.weights, target=a.target, explain=not a.no_explain,
                        imgs_root=str(Path(a.out).resolve()) if a.out else None, runtime=a.runtime, int8=a.int8,
                        force=a.force)


def run_folder(folder: Path, a) -> int:
    """Every file of the folder, in this process or on Dask (nets/batch.py); summary in <out>/summary/."""
    from nets.batch import run_batch
    summary = run_batch(folder, Path(a.out or "imgs") / "summary", _options(a), workers=a.workers,
                        scheduler=a.scheduler, resume=a.resume)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def write_report(result, path, lang) -> None:
    """The PDF report (nets/report/pdf_report.py) of one result."""
    from nets.report.pdf_report import result_pdf
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(result_pdf(result, lang))


def check_output_paths(a) -> None:
    """Refuse, before any work, output paths that cannot be written: --out must be a folder (or not exist yet);
    --report and --save-relevance need an existing, writable folder and must not name a folder."""
    if a.out and Path(a.out).exists() and not Path(a.out).is_dir():
        raise InputError(f"--out must be a folder; '{Path(a.out).name[:80]}' is a file.")
    for flag, value in (("--report", a.report), ("--save-relevance", a.save_relevance)):
        if not value:
            continue
        target = Path(value)
        parent = target.parent  # Path("r.pdf").parent is "."
        if target.is_dir():
            raise InputError(f"{flag} names a folder ('{target.name[:80]}'); give a file name.")
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise InputError(f"{flag}: the folder '{str(parent)[:80]}' does not exist or cannot be written.")


def main(argv=None) -> int:
    return run_cli(_main, argv)


def _main(argv=None) -> int:
    ap = JsonArgumentParser(prog="python -m nets.predict", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--model", help="model name (see nets/model_configs.py)")
    ap.add_argument("--weights", help="weights file for the model (same architecture)")
    ap.add_argument("--task", choices=["mri", "chest", "skin"], help="override the automatic task choice")
    ap.add_argument("--target", help="class to explain (default: the predicted class)")
    ap.add_argument("--out", help="image output root (default: imgs/)")
    ap.add_argument("--no-explain", action="store_true")
    ap.add_argument("--save-relevance", help="write the relevance volume as NIfTI aligned with the input")
    ap.add_argument("--report", help="also write a PDF report of the result to this path (one file only)")
    ap.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the PDF report")
    ap.add_argument("--workers", type=int, default=0, help="DIR: run on a local Dask cluster of N worker processes")
    ap.add_argument("--scheduler", help="DIR: run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    ap.add_argument("--resume", action="store_true", help="DIR: skip files already in the summary")
    ap.add_argument("--runtime", choices=["torch", "onnx"], default="torch",
                    help="onnx: the exported ONNX model (with --no-explain; python -m nets.export onnx)")
    ap.add_argument("--int8", action="store_true", help="with --runtime onnx: the int8-quantised export")
    ap.add_argument("--force", action="store_true",
                    help="answer even when the input gate refuses the input (the answer carries a warning)")
    ap.add_argument("--age", help="MRI: the person's age in years; the result then gives the brain-age gap and "
                                  "grades the stage against healthy people of that age (age_reference)")
    ap.add_argument("--methods", help="more explanation methods, comma-separated (e.g. lrp,occlusion; the model "
                                      "card lists what a model offers); each is added to `explanations`")
    a = ap.parse_args(argv)
    p = Path(a.path)
    if a.runtime == "onnx" and not a.no_explain:
        raise InputError("--runtime onnx gives answers without explanations: add --no-explain "
                         "(explanations run on the torch model).")
    if a.int8 and a.runtime != "onnx":
        raise InputError("--int8 needs --runtime onnx.")
    check_output_paths(a)
    if p.is_dir():
        if a.report or a.save_relevance or a.methods:
            raise InputError("--report, --save-relevance and --methods are for one file; a folder gets "
                             "summary.csv / summary.json in --out.")
        return run_folder(p, a)
    from nets import service
    from nets.batch import predictor_for, runtime_name
    opts = _options(a)
    pred = predictor_for(opts)
    r = service.analyse(service.read_input(p), p.name, a.task, a.model, a.target, force=a.force, age=a.age,
                        in_lane=False,
                        predictor=pred, weights=a.weights, explain=not a.no_explain, save_relevance=a.save_relevance)
    for method in (a.methods.split(",") if a.methods and not a.no_explain else []):
        pred.explain(r, method.strip())
    print(json.dumps({**r.to_json(), **runtime_name(opts)}, indent=2, ensure_ascii=False))
    if a.report:
        write_report(r, a.report, a.lang)
    return 0


if __name__ == "__main__":
    sys.exit(main())
