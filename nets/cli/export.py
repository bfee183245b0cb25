"""CLI: python -m nets.export onnx --model NAME [--int8] [--data DIR] [--calibration N] [--selection N] -> JSON.

Writes data/model_save/<weights stem>.onnx (and .int8.onnx with --int8, static int8 calibrated on N training
images) and records file, sha256, size and the agreement with the torch model on the card's validation split in
the model card ("onnx"). Used by `python -m nets.predict ... --no-explain --runtime onnx [--int8]`.
Only the 2D models are exported: for the MRI model ONNX Runtime would only speed up the forward pass (0.07 s of a
~0.6 s answer, the rest is preprocessing), measured by bench/bench_batch.py --mri.
"""
import argparse
import json
import os
import sys
import time

from nets import PROJECT_ROOT, SHARED_DATA
from nets.errors import InputError
from nets.cli_contract import JsonArgumentParser, exit_process, run_cli
from nets.training.splits_2d import TASK_FOLDERS as DATA_FOLDER


def main(argv=None) -> int:
    ap = JsonArgumentParser(prog="python -m nets.export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("format", choices=["onnx"])
    ap.add_argument("--model", required=True, help="chest-xray-resnet or skin-isic-resnet")
    ap.add_argument("--int8", action="store_true", help="also the static int8 export, calibrated on training images")
    ap.add_argument("--data", help="the model's training data (default: ../shared/data/<task folder>)")
    ap.add_argument("--calibration", type=int, default=256, help="number of training images to calibrate on")
    ap.add_argument("--selection", type=int, default=None,
                    help="training images (not calibrated on) that choose the float-check margin (default: "
                         "nets.onnx_export.SELECTION_N, 1500); 0: all of them")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    from nets.onnx_export import SELECTION_N, export_model, validation_data
    from nets.registry import REGISTRY
    try:
        m = REGISTRY.get(a.model)
        if m.config.task not in DATA_FOLDER:
            raise InputError(f"{a.model}: only the 2D models are exported to ONNX (for the MRI model it does not pay: "
                             f"preprocessing, not the forward pass, takes the time).")
        if not m.trained:
            raise InputError(f"{a.model} has no trained weights to export.")
        data_dir = a.data or str(SHARED_DATA / DATA_FOLDER[m.config.task])
        if not os.path.isdir(data_dir):
            raise InputError(f"Training data not found: {data_dir} (needed for calibration and the validation check).")
        t0 = time.perf_counter()
        data = validation_data(m, data_dir)
        data["split"]["data"] = os.path.relpath(data_dir, PROJECT_ROOT)
        selection = SELECTION_N if a.selection is None else a.selection
        out = export_model(m, data, a.int8, a.calibration, selection_n=selection)
    except InputError as e:
        print(json.dumps(e.to_dict(), ensure_ascii=False), file=sys.stderr)
        return 2
    print(json.dumps({"model": a.model, "seconds": round(time.perf_counter() - t0, 1), **out}, indent=2))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
