"""Cohort batch engine behind `python -m nets.predict DIR`: one file after another in this process, or on Dask
(`--workers N`: a LocalCluster of N single-threaded worker processes; `--scheduler tcp://HOST:PORT`: an existing
cluster). Dask schedules, retries tasks lost with a dying worker, and streams results back; this module only
writes them.

Output in <out>/summary/:
- summary.jsonl: one line per finished file, appended (and flushed) the moment its result arrives, in completion
  order: the run's journal, so a dying worker or client loses nothing already written;
- summary.csv: one row per file in INPUT order, appended as soon as every earlier file is done;
- summary.json: every result in input order, written when the run ends.
`resume=True` skips files that already have a result in the journal or summary.json (except results of crashes,
which are tried again).
"""
from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from nets.errors import InputError

SUFFIXES = (".nii", ".nii.gz", ".jpg", ".jpeg", ".png", ".dcm")
CSV_FIELDS = ["file", "task", "model", "prediction", "probability", "error"]
RETRIED_ERRORS = {"internal_error", "worker_died"}  # not the file's fault: --resume tries these files again


@dataclass(frozen=True)
class BatchOptions:
    task: str | None = None
    model: str | None = None
    weights: str | None = None
    target: str | None = None
    explain: bool = True
    imgs_root: str | None = None  # where heatmaps go (absolute: workers may run elsewhere)
    runtime: str = "torch"  # "torch" | "onnx"
    int8: bool = False
    force: bool = False  # answer inputs the gate refuses (with a warning)


def list_inputs(folder: Path) -> list:
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.name.lower().endswith(SUFFIXES))


# -- worker side: one predictor per process, so models load once per worker, not per file -------------------------
_PREDICTORS: dict = {}
_STATS = {"predictors_built": 0, "files": 0}


def predictor_for(opts: BatchOptions):
    key = (opts.imgs_root, opts.runtime, opts.int8)
    if key not in _PREDICTORS:
        from nets.predictor import Predictor
        registry = None
        if opts.runtime == "onnx":
            from nets.onnx_runtime import OnnxModelRegistry
            registry = OnnxModelRegistry(int8=opts.int8)
        kw = {"registry": registry} if registry is not None else {}
        _PREDICTORS[key] = Predictor(imgs_root=opts.imgs_root, **kw)
        _STATS["predictors_built"] += 1
    return _PREDICTORS[key]


def worker_stats() -> dict:
    """How many predictors this process built and how many files it ran (tests check models load once per worker)."""
    return dict(_STATS, pid=os.getpid())


def predict_record(path: str, opts: BatchOptions) -> dict:
    """{"file": name, **result JSON} or {"file": name, "error", "message"}; never raises for one bad file."""
    name = Path(path).name
    _STATS["files"] += 1
    try:
        from nets import service
        r = service.analyse(service.read_input(path), name, opts.task, opts.model, opts.target, force=opts.force,
                            in_lane=False, predictor=predictor_for(opts), weights=opts.weights,
                            explain=opts.explain).to_json()
        return {"file": name, **r, **runtime_name(opts)}
    except InputError as e:
        return {"file": name, **e.to_dict()}
    except Exception as e:  # a bug must not stop a cohort of thousands: reported, and retried by --resume
        bug = e.__cause__ or e  # nets.service.InternalError keeps the bug as its cause
        return {"file": name, "error": "internal_error", "message": f"{type(bug).__name__}: {bug}"}


def predict_task(path: str, opts: BatchOptions) -> dict:
    """The Dask task: one torch thread per worker process (the cluster runs one process per core)."""
    import torch
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    return predict_record(path, opts)


def runtime_name(opts: BatchOptions) -> dict:
    """The key a result gets when it did not come from the torch model (torch results stay as they were)."""
    return {} if opts.runtime == "torch" else {"runtime": "onnx-int8" if opts.int8 else "onnx"}


def csv_row(rec: dict) -> dict:
    if rec.get("error"):
        return {"file": rec["file"], "task": "", "model": "", "prediction": "", "probability": "",
                "error": rec.get("message", rec["error"])}
    return {"file": rec["file"], "task": rec["task"], "model": rec["model"], "prediction": rec["prediction"],
            "probability": max(rec["probabilities"].values()), "error": ""}


# -- client side: the summary, written as results arrive -----------------------------------------------------------
class SummaryWriter:
    """Journal every record at once; stream CSV rows in input order; summary.json at the end."""

    def __init__(self, out_dir: Path, files: list, done: dict):
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.names = [p.name for p in files]
        self.records = {n: done[n] for n in self.names if n in done}
        self.next = 0
        self.journal = open(self.dir / "summary.jsonl", "a" if done else "w", encoding="utf-8")
        self.csv_file = open(self.dir / "summary.csv", "w", newline="", encoding="utf-8")
        self.csv = csv.DictWriter(self.csv_file, fieldnames=CSV_FIELDS)
        self.csv.writeheader()
        self._flush_in_order()

    def add(self, rec: dict) -> None:
        self.journal.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.journal.flush()
        self.records[rec["file"]] = rec
        self._flush_in_order()

    def _flush_in_order(self):
        while self.next < len(self.names) and self.names[self.next] in self.records:
            self.csv.writerow(csv_row(self.records[self.names[self.next]]))
            self.next += 1
        self.csv_file.flush()

    def close(self) -> list:
        """Write summary.json (input order, atomically); returns the records in input order."""
        self.journal.close()
        self.csv_file.close()
        ordered = [self.records[n] for n in self.names if n in self.records]
        tmp = self.dir / "summary.json.tmp"
        tmp.write_text(json.dumps(ordered, indent=2, ensure_ascii=False))
        tmp.replace(self.dir / "summary.json")
        return ordered


def previous_records(out_dir: Path) -> dict:
    """file name -> record from an earlier run (summary.json, then the journal, which is newer), minus crashes."""
    out_dir = Path(out_dir)
    recs = {}
    js = out_dir / "summary.json"
    if js.exists():
        try:
            recs.update({r["file"]: r for r in json.loads(js.read_text())})
        except (ValueError, KeyError, TypeError):
            pass
    jl = out_dir / "summary.jsonl"
    if jl.exists():
        for line in jl.read_text(encoding="utf-8").splitlines():
            try:
                r = json.loads(line)
                recs[r["file"]] = r
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: that file runs again
    return {k: r for k, r in recs.items() if r.get("error") not in RETRIED_ERRORS}


def run_sequential(paths: list, opts: BatchOptions, on_record) -> None:
    from tqdm import tqdm
    for p in tqdm(paths, desc="predicting", unit="file", file=sys.stderr):
        on_record(predict_record(str(p), opts))


def dask_client(workers: int | None, scheduler: str | None):
    """A client on an existing scheduler, or on a new LocalCluster of single-threaded worker processes."""
    import logging
    from dask.distributed import Client, LocalCluster
    if scheduler:
        return Client(scheduler)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster)


def run_on_dask(paths: list, opts: BatchOptions, on_record, client) -> None:
    """Submit every file, write each result as it completes (tqdm over completed futures)."""
    from dask.distributed import as_completed
    from tqdm import tqdm
    futures = {client.submit(predict_task, str(p), opts, pure=False): p for p in paths}
    for fut in tqdm(as_completed(futures), total=len(futures), desc="predicting", unit="file", file=sys.stderr):
        p = futures.pop(fut)
        try:
            rec = fut.result()
        except Exception as e:  # the task's worker died more often than Dask's allowed-failures
            rec = {"file": p.name, "error": "worker_died", "message": f"{type(e).__name__}: {e}"}
        fut.release()
        on_record(rec)


def run_batch(folder, out_dir, opts: BatchOptions, workers: int = 0, scheduler: str | None = None,
              resume: bool = False, client=None) -> dict:
    """Predict every input file of `folder`; returns the CLI's JSON summary. workers=0 and no scheduler: in this
    process. `client`: an existing dask Client (tests, benchmarks)."""
    files = list_inputs(Path(folder))
    out_dir = Path(out_dir)
    done = previous_records(out_dir) if resume else {}
    writer = SummaryWriter(out_dir, files, done)
    todo = [p.resolve() for p in files if p.name not in writer.records]
    skipped = len(files) - len(todo)

    def on_record(rec):
        if rec.get("error"):
            print(f"{rec['file']}: {rec.get('message', rec['error'])}", file=sys.stderr)
        writer.add(rec)

    try:
        if todo and (client is not None or workers or scheduler):
            own = client is None
            client = client or dask_client(workers, scheduler)
            try:
                run_on_dask(todo, opts, on_record, client)
            finally:
                if own:
                    cluster = client.cluster
                    client.close()
                    if cluster is not None:
                        cluster.close()
        elif todo:
            run_sequential(todo, opts, on_record)
    finally:
        results = writer.close()
    failed = sum(1 for r in results if r.get("error"))
    return {"n": len(files), "ok": len(results) - failed, "failed": failed, "skipped_done": skipped,
            "csv": str(out_dir / "summary.csv"), "json": str(out_dir / "summary.json"),
            "journal": str(out_dir / "summary.jsonl"), "results": results}
