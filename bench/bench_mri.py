"""Benchmark the MRI path on demo.nii: time per stage (median of N runs after one warm-up) and peak RSS. Prints JSON.

python -m bench.bench_mri [--runs 3] [--model NAME] [--file F] [--new-scan] [--occlusion]
--new-scan gives every run its own copy of the volume (a numbered header comment, as bench_load --distinct), so no
run is answered from the preprocessing cache: the whole result for a scan the server has not seen, alignment included.
--occlusion also times one occlusion map as the page and python -m nets.occlusion make it (brain cubes, coarse to
fine), its cached second call, and the map with every cube (--full), with how close the two maps are.
"""
import argparse
import json
import resource
import statistics
import time
from pathlib import Path



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--model")
    ap.add_argument("--file")
    ap.add_argument("--new-scan", action="store_true", help="a new copy of the volume per run: no preprocessing cache")
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
    if a.new_scan:
        import gzip
        from bench.bench_load import distinct_copy
        raw = Path(f).read_bytes()
        raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        runs = [p.predict_bytes(distinct_copy("mri", raw, i), model=a.model, filename="copy.nii").timings
                for i in range(a.runs)]
    else:
        runs = [p.predict_file(f, model=a.model).timings for _ in range(a.runs)]
    med = {k: round(statistics.median(r[k] for r in runs), 4) for k in runs[0]}
    extra = {}
    if a.occlusion:
        extra["occlusion"] = occlusion_timings(p, f, a.model)
    print(json.dumps({"input": Path(f).name, "new_scan_each_run": a.new_scan, "model": a.model or "default",
                      "runs": a.runs,
                      "startup_s": round(startup, 3), "median_s": med, **extra,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}, indent=2))


def occlusion_timings(p, f, model) -> dict:
    """Fast (default) vs every cube on one result: seconds, forwards, and agreement of the two maps."""
    from scipy.stats import pearsonr
    r = p.predict_file(f, model=model, explain=False)
    out = {}
    for full in (False, True):
        times = []
        for _ in range(2):  # the second call is answered from the result's cache
            t1 = time.perf_counter()
            o = p.occlusion(r, full=full)
            times.append(round(time.perf_counter() - t1, 3))
        out["every_cube" if full else "fast"] = {"first_s": times[0], "cached_s": times[1], "cubes": o["cubes"],
                                                  "top3_raise": [c["mni_mm"] for c in o["raise"][:3]],
                                                  "top3_lower": [c["mni_mm"] for c in o["lower"][:3]]}
    fast, every = (m for _, m in sorted(r.handles.occlusion_maps.items(), key=lambda km: km[0][-1]))  # full last
    inside = r.handles.model_input.x[0, 0].numpy() > 0
    out["pearson_r_in_brain"] = round(float(pearsonr(fast[inside], every[inside])[0]), 3)
    out["same_top3"] = {w: sum(c in out["every_cube"][f"top3_{w}"] for c in out["fast"][f"top3_{w}"])
                        for w in ("raise", "lower")}
    return out


if __name__ == "__main__":
    main()
