"""Benchmark the MRI path on demo.nii: time per stage (median of N runs after one warm-up) and peak RSS. Prints JSON.

python bench/bench_mri.py [--runs 3] [--model NAME] [--file F] [--occlusion]
--occlusion also times one occlusion map (page button / python -m nets.occlusion) and its cached second call.
"""
import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--model")
    ap.add_argument("--file")
    ap.add_argument("--occlusion", action="store_true")
    a = ap.parse_args()
    import tempfile
    t0 = time.perf_counter()
    from nets.demo_volume import ensure_demo
    from nets.predictor import Predictor
    p = Predictor(imgs_root=tempfile.mkdtemp())
    p.warm_up(("mri",))
    startup = time.perf_counter() - t0
    f = a.file or str(ensure_demo())
    p.predict_file(f, model=a.model)  # warm-up
    runs = [p.predict_file(f, model=a.model).timings for _ in range(a.runs)]
    med = {k: round(statistics.median(r[k] for r in runs), 4) for k in runs[0]}
    extra = {}
    if a.occlusion:
        r = p.predict_file(f, model=a.model, explain=False)
        times = []
        for _ in range(2):  # the second call is answered from the result's cache
            t1 = time.perf_counter()
            p.occlusion(r)
            times.append(round(time.perf_counter() - t1, 3))
        extra["occlusion_s"] = {"first": times[0], "cached": times[1]}
    print(json.dumps({"input": Path(f).name, "model": a.model or "default", "runs": a.runs,
                      "startup_s": round(startup, 3), "median_s": med, **extra,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}, indent=2))


if __name__ == "__main__":
    main()
