"""Benchmark folder mode: files/s for 1 vs N Dask workers, and torch vs ONNX float vs ONNX int8 (--no-explain).
Prints JSON.

python -m bench.bench_batch [--n 200] [--workers 2] [--source sample|shared] [--skip-dask] [--skip-runtimes]
                            [--task chest|skin]

Inputs: `sample` (default) makes N chest images from readme_static/test/chest_RG1_UNCR.png (small random crops,
half mirrored) in a temp folder; `shared` takes the first N of ../shared/data/chest_xray/train (both classes).
--task skin (runtimes only) takes N photos of ../shared/data/skin_lesions/images, spread over its class folders:
real photos, so the int8 path's float re-check of close calls (nets/checked_int8_module.py) runs as often as it
would on real work.
Dask: a LocalCluster is started and its workers warmed (models loaded) before the clock starts; `files_per_s` is
the folder run alone, `end_to_end_s` adds the cluster start. Runtimes: in this process, one torch / ONNX Runtime
thread (as in one Dask worker), after a warm-up. The agreement figures on the validation split are the model
cards' (python -m nets.export onnx --model NAME --int8).
"""
import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent


def make_inputs(folder: Path, n: int, source: str, task: str = "chest") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if task == "skin":
        photos = sorted(p for p in (ROOT.parent / "shared" / "data" / "skin_lesions" / "images").rglob("*")
                        if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        for p in photos[::max(1, len(photos) // n)][:n]:  # spread over the class folders
            (folder / p.name).write_bytes(p.read_bytes())
        return folder
    if source == "shared":
        base = ROOT.parent / "shared" / "data" / "chest_xray" / "train"
        files = sorted((base / "NORMAL").glob("*.jpeg"))[: n // 2] + sorted((base / "PNEUMONIA").glob("*.jpeg"))
        for p in files[:n]:
            (folder / p.name).write_bytes(p.read_bytes())
        return folder
    im = Image.open(ROOT / "readme_static" / "test" / "chest_RG1_UNCR.png")
    rng = np.random.default_rng(0)
    for i in range(n):
        m = int(rng.integers(4, 40))
        dx, dy = rng.integers(0, m, 2)
        c = im.crop((int(dx), int(dy), im.width - m + int(dx), im.height - m + int(dy)))
        (ImageOps.mirror(c) if i % 2 else c).save(folder / f"chest_{i:04d}.png")
    return folder


def answers(summary: dict) -> list:
    return [(r["file"], r.get("prediction"), r.get("error")) for r in summary["results"]]


def warm_worker(opts):
    from nets.batch import predictor_for
    predictor_for(opts).warm_up(("chest",))
    return os.getpid()


def cpu_seconds():
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bench_dask(folder, workers, explain):
    from dask.distributed import Client, LocalCluster
    from nets.batch import BatchOptions, run_batch
    opts = BatchOptions(explain=explain, imgs_root=tempfile.mkdtemp())
    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            Client(cl) as client:
        client.run(warm_worker, opts)
        start = time.perf_counter() - t0
        t1, cpu0, own0 = time.perf_counter(), client.run(cpu_seconds), cpu_seconds()
        s = run_batch(folder, Path(tempfile.mkdtemp()) / "summary", opts, client=client)
        run = time.perf_counter() - t1
        cpu1, own1 = client.run(cpu_seconds), cpu_seconds()
    # CPU time per file (workers + this client): if it does not grow with the workers, the work itself scales and
    # a wall-clock speed-up below N comes from cores the machine did not have free
    cpu_per_file = (sum(cpu1[w] - cpu0[w] for w in cpu1) + own1 - own0) / s["n"]
    return {"workers": workers, "explain": explain, "files": s["n"], "ok": s["ok"], "run_s": round(run, 2),
            "files_per_s": round(s["n"] / run, 2), "cluster_start_and_warm_up_s": round(start, 2),
            "end_to_end_s": round(start + run, 2), "cpu_s_per_file": round(cpu_per_file, 3)}, answers(s)


def bench_runtime(folder, runtime, int8, task="chest"):
    import torch
    from nets.batch import BatchOptions, predictor_for, run_batch
    torch.set_num_threads(1)
    opts = BatchOptions(task=task, explain=False, imgs_root=tempfile.mkdtemp(), runtime=runtime, int8=int8)
    pred = predictor_for(opts)
    pred.warm_up((task,))
    for p in sorted(folder.iterdir())[:5]:
        pred.predict_file(p, task=task, explain=False)
    t = time.perf_counter()
    s = run_batch(folder, Path(tempfile.mkdtemp()) / "summary", opts)
    run = time.perf_counter() - t
    m = pred.registry.get(task=task)
    # a real input: a blank one is a close call that the int8 path recomputes in float, which real work rarely is
    x = pred.predict_file(sorted(folder.iterdir())[0], task=task, explain=False).handles.model_input.x
    ts = []
    with torch.no_grad():
        for _ in range(30):
            t = time.perf_counter()
            m.module(x)
            ts.append(time.perf_counter() - t)
    name = "torch" if runtime == "torch" else ("onnx-int8" if int8 else "onnx-float")
    return name, {"files_per_s": round(s["n"] / run, 2), "run_s": round(run, 2),
                  "forward_ms_median": round(1000 * float(np.median(ts)), 2)}, answers(s)


def card_agreement():
    from nets.registry import REGISTRY
    out = {}
    for name in ("chest-xray-resnet", "skin-isic-resnet"):
        for kind, e in (REGISTRY.get(name).card.get("onnx") or {}).items():
            v = e["validation_vs_torch"]
            out[f"{name} {kind}"] = {"validation_images": v["n_images"], "identical_answers": v["identical_answers"],
                                     "metric_change_points": v["metric_change_points"], "size_bytes": e["size_bytes"]}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--source", choices=["sample", "shared"], default="sample")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-runtimes", action="store_true")
    ap.add_argument("--no-explain", action="store_true", help="Dask runs without heatmaps")
    ap.add_argument("--task", choices=["chest", "skin"], default="chest",
                    help="skin: real skin photos from ../shared/data (implies --skip-dask)")
    a = ap.parse_args()
    folder = make_inputs(Path(tempfile.mkdtemp()) / "in", a.n, a.source, a.task)
    a.skip_dask = a.skip_dask or a.task == "skin"
    out = {"inputs": f"{a.n} {a.task} images ({'shared' if a.task == 'skin' else a.source})", "cpu_count": os.cpu_count(),
           "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    if not a.skip_dask:
        one, ans1 = bench_dask(folder, 1, not a.no_explain)
        many, ans_n = bench_dask(folder, a.workers, not a.no_explain)
        out["dask"] = {"1": one, str(a.workers): many, "speed_up": round(many["files_per_s"] / one["files_per_s"], 2),
                       "cpu_s_per_file_ratio": round(many["cpu_s_per_file"] / one["cpu_s_per_file"], 2),
                       "same_answers_file_for_file": ans1 == ans_n}
    if not a.skip_runtimes:
        rt, ans = {}, {}
        for runtime, int8 in (("torch", False), ("onnx", False), ("onnx", True)):
            name, r, ans[name] = bench_runtime(folder, runtime, int8, a.task)
            rt[name] = r
        for name in ("onnx-float", "onnx-int8"):
            rt[name]["speed_up_vs_torch"] = round(rt[name]["files_per_s"] / rt["torch"]["files_per_s"], 2)
            same = [a_ == b_ for a_, b_ in zip(ans["torch"], ans[name])]
            rt[name]["identical_answers_on_these_inputs"] = round(float(np.mean(same)), 4)
        out["runtimes_no_explain_1_thread"] = rt
        out["onnx_vs_torch_on_validation_split (model cards)"] = card_agreement()
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
