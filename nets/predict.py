"""CLI: python -m nets.predict FILE|DIR [--model NAME] [--weights PATH] [--target CLASS] [--out DIR] [--no-explain]
[--save-relevance OUT.nii.gz] [--task {mri,chest,skin}]

Prints one JSON object per file (a folder: a progress bar, every file, and a summary.csv/summary.json in --out).
Errors print {"error", "message"} on stderr and exit non-zero.
"""
import argparse
import csv
import json
import sys
from pathlib import Path

from nets.errors import InputError

SUFFIXES = (".nii", ".nii.gz", ".jpg", ".jpeg", ".png", ".dcm")


def _predictor(out):
    from nets.predictor import Predictor
    return Predictor(imgs_root=out) if out else Predictor()


def run_folder(pred, folder: Path, a) -> int:
    from tqdm import tqdm
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(SUFFIXES))
    rows, results = [], []
    for p in tqdm(files, desc="predicting", unit="file", file=sys.stderr):
        try:
            r = pred.predict_file(p, task=a.task, model=a.model, weights=a.weights, target=a.target,
                                  explain=not a.no_explain).to_json()
            results.append({"file": p.name, **r})
            rows.append({"file": p.name, "task": r["task"], "model": r["model"], "prediction": r["prediction"],
                         "probability": max(r["probabilities"].values()), "error": ""})
        except InputError as e:
            print(f"{p.name}: {e}", file=sys.stderr)
            results.append({"file": p.name, **e.to_dict()})
            rows.append({"file": p.name, "task": "", "model": "", "prediction": "", "probability": "",
                         "error": str(e)})
    out = Path(a.out or "imgs") / "summary"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["file"])
        w.writeheader()
        w.writerows(rows)
    (out / "summary.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps({"n": len(files), "ok": sum(1 for r in rows if not r["error"]),
                      "failed": sum(1 for r in rows if r["error"]), "csv": str(out / "summary.csv"),
                      "json": str(out / "summary.json"), "results": results}, indent=2, ensure_ascii=False))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nets.predict", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--model", help="model name (see nets/model_configs.py)")
    ap.add_argument("--weights", help="weights file for the model (same architecture)")
    ap.add_argument("--task", choices=["mri", "chest", "skin"], help="override the automatic task choice")
    ap.add_argument("--target", help="class to explain (default: the predicted class)")
    ap.add_argument("--out", help="image output root (default: imgs/)")
    ap.add_argument("--no-explain", action="store_true")
    ap.add_argument("--save-relevance", help="write the relevance volume as NIfTI aligned with the input")
    ap.add_argument("--methods", help="more explanation methods, comma-separated (e.g. lrp,occlusion; the model "
                                      "card lists what a model offers); each is added to `explanations`")
    a = ap.parse_args(argv)
    p = Path(a.path)
    try:
        pred = _predictor(a.out)
        if p.is_dir():
            return run_folder(pred, p, a)
        r = pred.predict_file(p, task=a.task, model=a.model, weights=a.weights, target=a.target,
                              explain=not a.no_explain, save_relevance=a.save_relevance)
        for method in (a.methods.split(",") if a.methods and not a.no_explain else []):
            pred.explain(r, method.strip())
        print(json.dumps(r.to_json(), indent=2, ensure_ascii=False))
        return 0
    except InputError as e:
        print(json.dumps(e.to_dict(), ensure_ascii=False), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
