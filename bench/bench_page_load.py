"""Load test of the page: N browser sessions (headless Chromium) each upload files and wait for the result, as
people would, optionally while REST clients load the same server. Prints JSON: per input type the time from the
"start analysis" click to the result's "Downloads" line, alone (one session) and with N sessions, their p95 ratio,
failures, the server's RSS and threads before, after and after idling, how much of the cores' busy time during
the concurrent sessions was the server's (the rest: the browsers, the bench, other jobs), and, from the server's run
log, each answer's own work against the time from its upload to its answer.

python -m bench.bench_page_load [--sessions 8] [--requests 3] [--rounds 2] [--rest-clients 0] [--idle 20]
    [--time-limit 900]

Every upload is a distinct copy (bench_load.distinct_copy: same pixels, another sha256), so nothing is served from
a cache or a shared job. The server runs from a temporary folder (its logs, uploads and images go there). The
browser runs on the same machine: on 2 cores its own CPU use is part of what the figures measure.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.bench_load import concurrent_round, distinct_copy, inputs, pct, summarise

PAGE_TYPES = ("mri", "chest", "skin")
DONE_TEXT = "Downloads"


def health(url) -> dict:
    h = requests.get(url + "/api/health", timeout=30).json()
    return {"rss_mb": h.get("rss_mb"), "python_threads": h.get("threads"), "cpu_s": h.get("cpu_s")}


def machine_busy_s() -> float | None:
    """CPU seconds this machine's cores have been busy since boot (Linux /proc/stat), all processes together."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_split(before: dict, after: dict, busy0, busy1, wall_s) -> dict:
    """Who used the cores meanwhile: the server, and everything else (the browsers, the bench, other jobs)."""
    if before.get("cpu_s") is None or busy0 is None:
        return {}
    server = after["cpu_s"] - before["cpu_s"]
    machine = busy1 - busy0
    return {"wall_s": round(wall_s, 1), "cores": os.cpu_count(), "machine_busy_core_s": round(machine, 1),
            "server_core_s": round(server, 1), "server_share": round(server / machine, 2) if machine else None}


def server_log_times(log_dir: Path, t0: float, t1: float) -> dict:
    """From the server's run log, per task, for the answers given between epoch seconds t0 and t1: the server's own
    work (the answer's `timings.total`) and the time from the session's upload to its answer (min / p50 / max)."""
    import datetime as dt
    upload, own, gap = {}, {}, {}
    rows = [json.loads(line) for f in sorted(Path(log_dir).glob("*.jsonl")) for line in f.read_text().splitlines()]
    for r in rows:
        t = dt.datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
        if r.get("action") == "upload":
            upload[r["session"]] = t
        elif r.get("action") == "predict" and t0 <= t <= t1 and r["session"] in upload:
            own.setdefault(r["task"], []).append((r.get("timings") or {}).get("total"))
            gap.setdefault(r["task"], []).append(t - upload.pop(r["session"]))
    spread = lambda xs: [pct(xs, 0), pct(xs, 50), pct(xs, 100)]
    return {k: {"n": len(gap[k]), "own_work_s": spread([x for x in own[k] if x is not None]),
                "upload_to_answer_s": spread(gap[k])} for k in gap}


def write_copies(folder: Path, files: dict, n: int) -> list:
    """n distinct copies of each page input type, as files a browser can upload: [(kind, path)]."""
    out = []
    for i in range(n):
        for kind in PAGE_TYPES:
            name, raw = files[kind]
            path = folder / f"{i}_{name}"
            path.write_bytes(distinct_copy(kind, raw, 10_000 + i))
            out.append((kind, path))
    return out


def one_page_request(page, url, kind, path, timeout_ms) -> dict:
    from tests.test_e2e_browser import _click, _upload, _upload_volume, _wait_for_text
    t0 = None
    try:
        if kind == "mri":
            _upload_volume(page, url, path)
        else:  # a 2D image: the page asks which model, with its modality check's pick; the bench confirms its kind
            _upload(page, url, path)
            _wait_for_text(page, "Which model", timeout_ms)
            page.check(f"input[type=radio][value='\"{kind}\"']")
            _click(page, page.locator("button[type=submit]:not([disabled])").last)
        t0 = time.perf_counter()  # the analysis has started: from here on the server's work and the page's drawing
        _wait_for_text(page, DONE_TEXT, timeout_ms)
        return {"kind": kind, "s": time.perf_counter() - t0, "status": "page", "ok": True}
    except Exception as e:  # noqa: BLE001 - a failed session is a figure, not a crash of the bench
        return {"kind": kind, "s": time.perf_counter() - t0 if t0 else 0.0, "status": type(e).__name__,
                "ok": False, "error": str(e)[:300]}


def session(browser, url, jobs, timeout_ms, rows, lock, deadline):
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="en-US")
    try:
        for kind, path in jobs:
            if time.time() > deadline:
                return
            r = one_page_request(page, url, kind, path, timeout_ms)
            print(json.dumps({k: v for k, v in r.items() if k != "error"}), file=sys.stderr, flush=True)
            with lock:
                rows.append(r)
    finally:
        page.close()


def page_summary(rows) -> dict:
    out = {}
    for k in PAGE_TYPES:
        xs = [r["s"] for r in rows if r["kind"] == k and r["ok"]]
        out[k] = {"n": len(xs), "p50_s": pct(xs, 50), "p95_s": pct(xs, 95),
                  "failed": [r.get("error") for r in rows if r["kind"] == k and not r["ok"]]}
    return out


def run(a) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.conftest import running_app
    from tests.test_e2e_browser import ARGS, CHROMIUM
    work = Path(tempfile.mkdtemp(prefix="bench_page_"))
    files = inputs()
    per_round = a.sessions * a.requests
    copies = write_copies(work, files, 2 + -(-per_round * a.rounds // len(PAGE_TYPES)))
    timeout_ms = int(a.time_limit * 1000)
    with running_app(work) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        lock, deadline = threading.Lock(), time.time() + a.time_limit
        report = {"sessions": a.sessions, "requests_per_session": a.requests, "rest_clients": a.rest_clients}
        session(browser, url, copies[:len(PAGE_TYPES)], timeout_ms, [], lock, deadline)  # warm-up: models loaded
        report["server_before"] = health(url)
        single = []
        session(browser, url, copies[len(PAGE_TYPES):2 * len(PAGE_TYPES)], timeout_ms, single, lock, deadline)
        report["single_session"] = page_summary(single)
        browser.close()
        left = copies[2 * len(PAGE_TYPES):]
        report["rounds"] = [page_round(a, url, files, left[r * per_round:(r + 1) * per_round], timeout_ms, deadline,
                                       report["single_session"], work / "run_logs") for r in range(a.rounds)]
        time.sleep(a.idle)
        report["server_after_idle"] = {**health(url), "idle_s": a.idle}
    return report


def page_round(a, url, files, jobs, timeout_ms, deadline, single, log_dir) -> dict:
    """One concurrent round: a.sessions browsers (and a.rest_clients REST clients) at once, then the server's health
    and, from its run log, how much of each answer's time was its own work."""
    rest_rows, rows, lock = [], [], threading.Lock()
    rest = threading.Thread(target=lambda: rest_rows.extend(concurrent_round(
        url, files, a.rest_clients, a.rest_requests, deadline, a.time_limit, True)[0]))
    start, t0, busy0, epoch0 = health(url), time.perf_counter(), machine_busy_s(), time.time()
    if a.rest_clients:
        rest.start()
    # Playwright's sync API is not thread-safe: one browser per session thread
    threads = [threading.Thread(target=own_browser_session, args=(url, jobs[i::a.sessions], timeout_ms, rows, lock,
                                                                    deadline)) for i in range(a.sessions)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    if a.rest_clients:
        rest.join()
    wall, busy1, after = time.perf_counter() - t0, machine_busy_s(), health(url)
    by_type = page_summary(rows)
    out = {"wall_s": round(wall, 1), "by_type": by_type, "server_after": after,
           "cpu": cpu_split(start, after, busy0, busy1, wall),
           "server_log": server_log_times(log_dir, epoch0, time.time()),
           "p95_ratio_to_single": {k: round(by_type[k]["p95_s"] / single[k]["p95_s"], 2)
                                   if by_type[k]["p95_s"] and single[k]["p95_s"] else None for k in PAGE_TYPES}}
    if a.rest_clients:
        out["rest_under_page_load"] = summarise(rest_rows)
    return out


def own_browser_session(url, jobs, timeout_ms, rows, lock, deadline):
    from playwright.sync_api import sync_playwright

    from tests.test_e2e_browser import ARGS, CHROMIUM
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            session(browser, url, jobs, timeout_ms, rows, lock, deadline)
        finally:
            browser.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--requests", type=int, default=3, help="uploads per session and round (types in turn)")
    ap.add_argument("--rounds", type=int, default=2, help="concurrent rounds, each with new copies")
    ap.add_argument("--rest-clients", type=int, default=0, help="REST clients loading the server meanwhile")
    ap.add_argument("--rest-requests", type=int, default=8, help="requests per REST client")
    ap.add_argument("--idle", type=float, default=20, help="seconds to idle before the last RSS reading")
    ap.add_argument("--time-limit", type=float, default=900, help="no new request after this many seconds")
    print(json.dumps(run(ap.parse_args()), indent=2))


if __name__ == "__main__":
    main()
