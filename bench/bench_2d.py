"""Benchmark per-image latency including the first explanation (Grad-CAM, its faithfulness check and PNGs) for the
chest and skin models, the input gate's share of it (image statistics + feature score; the features come from the
same forward pass), each further method on demand (LRP, occlusion: map + faithfulness + PNGs), and peak RSS.
Prints JSON. The sample is noise, which the gates refuse: it runs with force=True so the whole path is timed.

python -m bench.bench_2d [--runs 20]
"""
import argparse
import io
import json
import resource
import statistics
import tempfile
import time

import numpy as np
from PIL import Image



def sample(mode):
    rng = np.random.default_rng(0)
    a = (rng.random((450, 600, 3)) * 255).astype(np.uint8)
    im = Image.fromarray(a).convert(mode)
    b = io.BytesIO()
    im.save(b, format="JPEG")
    return b.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    from nets.predictor import Predictor
    p = Predictor(imgs_root=tempfile.mkdtemp())
    p.warm_up(("chest", "skin"))
    out = {}
    for task, mode in (("chest", "L"), ("skin", "RGB")):
        raw = sample(mode)
        p.predict_bytes(raw, task=task, force=True)
        runs = [p.predict_bytes(raw, task=task, force=True).timings for _ in range(a.runs)]
        ts = [r["total"] for r in runs]
        gate = [r.get("gate", 0.0) for r in runs]
        out[task] = {"median_ms": round(1000 * statistics.median(ts), 1), "p90_ms": round(1000 * np.percentile(ts, 90), 1),
                     "gate_median_ms": round(1000 * statistics.median(gate), 2),
                     "gate_p90_ms": round(1000 * np.percentile(gate, 90), 2)}
        for method in ("lrp", "occlusion"):  # on demand, per result: time of the first (uncached) call
            runs = []
            for _ in range(max(1, a.runs // 4)):
                r = p.predict_bytes(raw, task=task, force=True)
                t0 = time.perf_counter()
                p.explain(r, method)
                runs.append(time.perf_counter() - t0)
            out[task][f"{method}_ms"] = round(1000 * statistics.median(runs), 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
