"""Cold start of the demo.nii result in fresh processes. Prints JSON.

python -m bench.bench_cold_start [--runs 3] [--file nii/demo.nii]

- interpreter_s: `python -c pass` (the process start the target excludes);
- cli_cold_s: `python -m nets.predict demo.nii` wall time minus interpreter_s (imports, templates, model, first
  result with LRP and PNGs), with cache/ filled; cli_cold_empty_cache_s: the same with an empty cache (first run
  after install);
- stages_s: the same path timed step by step in one fresh process (imports, set-up as the server does it at start,
  with one blank LRP pass, first result, second result = warm).
Medians over --runs; the machine's load average is printed with them (2 shared cores: read the figures with it).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STAGES = r"""
import json, sys, time
t0 = time.perf_counter()
import torch, nibabel
from nets.predictor import Predictor
t1 = time.perf_counter()
p = Predictor(imgs_root=sys.argv[2])
p.warm_up(("mri",))
t2 = time.perf_counter()
r = p.predict_file(sys.argv[1])
t3 = time.perf_counter()
w = p.predict_file(sys.argv[1])
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "set_up (templates, model, preprocessor, kernel warm-up)": t2 - t1, "first_result": t3 - t2,
                  "first_result_stages": r.timings, "warm_result": t4 - t3, "warm_result_stages": w.timings}))
"""


def wall(cmd, env=None):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(p.stderr[-2000:])
    return time.perf_counter() - t, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--file")
    a = ap.parse_args()
    from nets.demo_volume import ensure_demo
    f = a.file or str(ensure_demo())
    out_dir = tempfile.mkdtemp()
    py = sys.executable
    load0 = os.getloadavg()
    interp = statistics.median(wall([py, "-c", "pass"])[0] for _ in range(a.runs))
    wall([py, "-m", "nets.predict", f, "--out", out_dir])  # fills cache/ if empty
    cli = [wall([py, "-m", "nets.predict", f, "--out", out_dir])[0] - interp for _ in range(a.runs)]
    env = dict(os.environ, XAI_CACHE_DIR=tempfile.mkdtemp())
    empty = wall([py, "-m", "nets.predict", f, "--out", out_dir], env)[0] - interp
    stages = [json.loads(wall([py, "-c", STAGES, f, out_dir])[1]) for _ in range(a.runs)]
    med = {k: round(statistics.median(s[k] for s in stages), 3) for k in stages[0] if not k.endswith("stages")}
    print(json.dumps({"input": Path(f).name, "runs": a.runs, "interpreter_s": round(interp, 3),
                      "cli_cold_s": round(statistics.median(cli), 3), "cli_cold_runs_s": [round(x, 3) for x in cli],
                      "cli_cold_empty_cache_s": round(empty, 3), "stages_s": med,
                      "first_result_stages_s": {k: round(v, 3) for k, v in stages[-1]["first_result_stages"].items()},
                      "warm_result_stages_s": {k: round(v, 3) for k, v in stages[-1]["warm_result_stages"].items()},
                      "load_average_before_after": [round(load0[0], 2), round(os.getloadavg()[0], 2)]}, indent=2))


if __name__ == "__main__":
    main()
