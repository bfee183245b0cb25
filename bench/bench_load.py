"""Load test of the REST API over loopback: N concurrent clients x M requests over a mix of inputs (demo.nii, the
chest and skin samples, a bad file), bounded in count and time. Prints JSON: single-client p50/p95 per input type,
concurrent p50/p95 per type and their ratios to single-client, bad-input latency under load, server RSS and thread
count before, after each round and after idling.

python -m bench.bench_load [--url http://127.0.0.1:PORT] [--clients 8] [--requests 8] [--rounds 2] [--single 4]
                           [--idle 30] [--time-limit 900] [--distinct]

By default every client sends the same files, so identical requests in flight share one job on the server
(nets/service/shared_jobs.py); --distinct makes every request's file unique (a numbered comment in the header:
same pixels, another sha256), as when many people upload their own scans.

Without --url it starts `python demo01.py` on a free loopback port (and stops it at the end). Only loopback
addresses are accepted. RSS and threads come from the server's /api/health.
"""
from __future__ import annotations

import argparse
import itertools
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
TYPES = ("mri", "chest", "skin", "bad")


def inputs() -> dict:
    from nets.demo_volume import ensure_demo
    sample = ROOT / "readme_static" / "test"
    return {"mri": ("demo.nii", ensure_demo().read_bytes()),
            "chest": ("chest.png", (sample / "chest_RG1_UNCR.png").read_bytes()),
            "skin": ("skin.jpg", (sample / "skin_synthetic_lesion.jpg").read_bytes()),
            "bad": ("bad.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 4000)}  # a PNG signature and nothing decodable


def distinct_copy(kind: str, raw: bytes, n: int) -> bytes:
    """The same image with a numbered comment in its header, so its sha256 differs: NIfTI `descrip` (bytes 148-227),
    a PNG tEXt chunk after IHDR, a JPEG COM segment after SOI. The bad file stays as it is."""
    tag = f"bench copy {n}".encode()
    if kind == "mri":
        return raw[:148] + tag.ljust(80, b"\0") + raw[228:]
    if raw.startswith(b"\x89PNG") and kind != "bad":
        body = b"tEXt" + b"Comment\0" + tag
        chunk = len(body[4:]).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
        return raw[:33] + chunk + raw[33:]
    if raw.startswith(b"\xff\xd8"):
        return raw[:2] + b"\xff\xfe" + (len(tag) + 2).to_bytes(2, "big") + tag + raw[2:]
    return raw


def start_server(log_dir: Path, app_dir: Path = ROOT):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    log = open(log_dir / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "demo01.py", "--host", "127.0.0.1", "--port", str(port)], cwd=app_dir,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            requests.get(url + "/api/health", timeout=2)
            return url, proc
        except requests.RequestException:
            if proc.poll() is not None:
                raise RuntimeError((log_dir / "server.log").read_text()[-3000:])
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the server did not start in 180 s")


def proc_status(pid) -> dict:
    """RSS and OS threads (torch's included) of a server we started, from /proc."""
    try:
        rows = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        return {"rss_mb": round(int(rows["VmRSS"].split()[0]) / 1024, 1), "os_threads": int(rows["Threads"])}
    except (OSError, KeyError, ValueError):
        return {}


def health(url, pid=None) -> dict:
    h = requests.get(url + "/api/health", timeout=30).json()
    return {"rss_mb": h.get("rss_mb"), "python_threads": h.get("threads"),
            "shared_jobs_joined": (h.get("shared_jobs") or {}).get("joined"), **(proc_status(pid) if pid else {})}


COPIES = itertools.count(1)


def one(url, kind, files, timeout, distinct=False) -> dict:
    name, raw = files[kind]
    if distinct:
        raw = distinct_copy(kind, raw, next(COPIES))
    t0 = time.perf_counter()
    try:
        r = requests.post(url + "/api/predict", files={"file": (name, raw)}, timeout=timeout)
        status = r.status_code
        ok = (status == 200) if kind != "bad" else (status == 422 and r.json().get("error") == "corrupt_file")
    except requests.RequestException:
        status, ok = None, False
    return {"kind": kind, "s": time.perf_counter() - t0, "status": status, "ok": ok}


def pct(xs, q):
    return round(float(np.percentile(xs, q)), 3) if xs else None


def summarise(rows) -> dict:
    out = {}
    for k in TYPES:
        xs = [r["s"] for r in rows if r["kind"] == k]
        out[k] = {"n": len(xs), "p50_s": pct(xs, 50), "p95_s": pct(xs, 95),
                  "not_ok": sum(1 for r in rows if r["kind"] == k and not r["ok"]),
                  "statuses": sorted({str(r["status"]) for r in rows if r["kind"] == k})}
    return out


def concurrent_round(url, files, clients, per_client, deadline, timeout, distinct=False) -> tuple:
    rows, lock = [], threading.Lock()

    def client(i):
        for j in range(per_client):
            if time.time() > deadline:
                return
            r = one(url, TYPES[(i + j) % len(TYPES)], files, timeout, distinct)
            with lock:
                rows.append(r)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return rows, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server (loopback only); default: start demo01.py")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=8, help="requests per client per round")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--single", type=int, default=4, help="single-client requests per input type")
    ap.add_argument("--idle", type=float, default=30, help="seconds to idle before the last RSS reading")
    ap.add_argument("--time-limit", type=float, default=900, help="no new request after this many seconds")
    ap.add_argument("--app-dir", default=str(ROOT), help="checkout whose demo01.py to start (before/after figures)")
    ap.add_argument("--distinct", action="store_true", help="a unique file per request (no shared jobs, no caches)")
    a = ap.parse_args()
    proc = None
    if a.url:
        if urlparse(a.url).hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit(json.dumps({"error": "not_loopback", "message": "--url must be a loopback address"}))
        url = a.url.rstrip("/")
    else:
        url, proc = start_server(Path(tempfile.mkdtemp(prefix="bench_load_")), Path(a.app_dir))
    pid = proc.pid if proc else None
    deadline = time.time() + a.time_limit
    timeout = max(60.0, a.time_limit)
    try:
        files = inputs()
        for k in TYPES:  # warm-up: models loaded, first-call costs paid
            one(url, k, files, timeout)
        report = {"clients": a.clients, "requests_per_client": a.requests, "distinct_files": a.distinct,
                  "server_before": health(url, pid)}
        single = [one(url, k, files, timeout, a.distinct) for _ in range(a.single) for k in TYPES]
        report["single_client"] = summarise(single)
        report["rounds"] = []
        for _ in range(a.rounds):
            rows, wall = concurrent_round(url, files, a.clients, a.requests, deadline, timeout, a.distinct)
            s = summarise(rows)
            report["rounds"].append({"wall_s": round(wall, 1), "requests": len(rows),
                                     "throughput_per_s": round(len(rows) / wall, 2), "by_type": s,
                                     "p95_ratio_to_single": ratio(s, report["single_client"], "p95_s"),
                                     "p50_ratio_to_single": ratio(s, report["single_client"], "p50_s"),
                                     "server_after": health(url, pid)})
        time.sleep(a.idle)
        report["server_after_idle"] = {**health(url, pid), "idle_s": a.idle}
        report["bad_input_under_load_max_s"] = max((r["by_type"]["bad"]["p95_s"] or 0) for r in report["rounds"])
        print(json.dumps(report, indent=2))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def ratio(conc, single, key) -> dict:
    return {k: round(conc[k][key] / single[k][key], 2) if conc[k][key] and single[k][key] else None for k in TYPES}


if __name__ == "__main__":
    main()
