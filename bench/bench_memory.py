"""What grows in memory over repeated requests, measured in-process on the server's own path (the compute lanes'
fixed pools running predict_bytes(...).to_json(), as /api/predict does), optionally keeping results alive as page
sessions do. Prints JSON: RSS and Python-traced memory after each round and the source lines whose traced memory
grew most between the first and the last round (tracemalloc).

python -m bench.bench_memory [--rounds 4] [--per-round 12] [--keep-results 0] [--trace]
"""
from __future__ import annotations

import argparse
import gc
import json
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)


def threads():
    for line in open("/proc/self/status"):
        if line.startswith("Threads:"):
            return int(line.split()[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--per-round", type=int, default=12, help="requests per round (mri, chest, skin in turn)")
    ap.add_argument("--keep-results", type=int, default=0, help="keep the last N Result objects (page sessions)")
    ap.add_argument("--trace", action="store_true", help="tracemalloc (slower): top growing source lines")
    a = ap.parse_args()
    from bench.bench_load import inputs
    from gui.compute_queue import lane_for
    from nets.predictor import Predictor
    files = inputs()
    pred = Predictor(imgs_root=tempfile.mkdtemp(prefix="bench_memory_"))
    kinds = ("mri", "chest", "skin")
    kept = []

    def job(kind):
        raw = files[kind][1]
        if a.keep_results:
            r = lane_for(kind).submit(lambda: pred.predict_bytes(raw, task=kind)).result()
            kept.append(r)
            del kept[:-a.keep_results]
            return r.to_json()
        return lane_for(kind).submit(lambda: pred.predict_bytes(raw, task=kind).to_json()).result()

    for k in kinds:  # models loaded, first-call costs paid
        job(k)
    gc.collect()
    report = {"keep_results": a.keep_results, "start": {"rss_mb": rss_mb(), "threads": threads()}, "rounds": []}
    if a.trace:
        tracemalloc.start(10)
        first = None
    for i in range(a.rounds):
        for j in range(a.per_round):
            job(kinds[j % 3])
        gc.collect()
        row = {"rss_mb": rss_mb(), "threads": threads()}
        if a.trace:
            snap = tracemalloc.take_snapshot()
            row["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
            first = first or snap
        report["rounds"].append(row)
    if a.trace:
        top = snap.compare_to(first, "lineno")[:8]
        report["grew_most_since_round_1"] = [{"where": str(s.traceback[0]), "kb": round(s.size_diff / 1024, 1)}
                                             for s in top]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
