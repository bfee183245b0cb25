"""CLI: python -m nets.fit_trust {chest,skin,mri} [--data DIR] [--weights PATH] [--train-sample N] [--calibration-only]
        python -m nets.fit_trust report [--corpus DIR]

Fits what a model needs to know when not to answer, on its own validation split, and records it next to the
weights: the input gate (<weights>.gate.npz plus `input_gate` in the card: method, thresholds, how they were chosen,
in-distribution flag rate, out-of-distribution refusal rate on the test part of the corpus) and the temperature
(`calibration` in the card: T, ECE before/after, reliability diagram). Re-run it whenever a model is retrained.
`report` runs the whole service (auto-routing, gates, no explanation) on the corpus's test part and on real
in-distribution images and prints the refusal / flag rates. Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from nets import SHARED_DATA
from nets.cli_contract import JsonArgumentParser, exit_process, run_cli



def main(argv=None):
    ap = JsonArgumentParser(prog="python -m nets.fit_trust", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["chest", "skin", "mri", "report"])
    ap.add_argument("--data", help="data root (default ../shared/data)")
    ap.add_argument("--weights")
    ap.add_argument("--corpus", help="an OOD corpus folder made by python -m nets.trust.ood_corpus (default: built "
                                     "in a temporary folder)")
    ap.add_argument("--train-sample", type=int, default=2000,
                    help="training images whose features fit the gate (random, fixed seed)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--calibration-only", action="store_true",
                    help="chest/skin: refit only the card's `calibration` (temperature, top-label map), not the gate")
    a = ap.parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    data = Path(a.data or SHARED_DATA)
    if a.calibration_only and a.task in ("chest", "skin"):
        from nets.trust.fit_image_gate import refit_calibration
        print(json.dumps(refit_calibration(a.task, data, a.weights), indent=2, ensure_ascii=False, default=str))
        return 0
    corpus = Path(a.corpus) if a.corpus else None
    if corpus is None:
        from nets.trust.ood_corpus import build_corpus
        corpus = Path(tempfile.mkdtemp(prefix="ood_corpus_"))
        build_corpus(corpus)
    if a.task == "report":
        from nets.trust.gate_report import service_report
        res = service_report(corpus, data)
    elif a.task == "mri":
        from nets.trust.fit_brain_gate import fit_brain_trust
        res = fit_brain_trust(data, a.weights)
    else:
        from nets.trust.fit_image_gate import fit_image_trust
        res = fit_image_trust(a.task, data, corpus, a.weights, a.train_sample)
    print(json.dumps(res, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
