"""Feedback that can become training data: "this answer is right" / "it should be X", one click at a time.

Each feedback is one JSON line in <root>/feedback.jsonl (time, run id, task, model, prediction, the user's label,
whether they agree, the stored input's name and sha256, where it came from) plus one copy of the input under
<root>/inputs/, named by the sha256 of its content (never the user's file name; the same input is stored once).
Nothing is stored without an explicit click (page) or request (API).

Bounded: the store (lines + inputs) never grows past XAI_FEEDBACK_MAX_MB (default 512 MB); a feedback that would
pass it is refused with a clear message and nothing is written (feedback is labelled data: never dropped silently
to make room). Root: XAI_FEEDBACK_DIR (default <project>/feedback). A label that is not one of the task's classes
is refused.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from pathlib import Path

from nets import PROJECT_ROOT
from nets.errors import InputError

LINES = "feedback.jsonl"
INPUTS = "inputs"
_lock = threading.Lock()


class BadLabelError(InputError):
    code = "bad_label"


class FeedbackFullError(InputError):
    code = "feedback_full"


def feedback_root() -> Path:
    return Path(os.environ.get("XAI_FEEDBACK_DIR") or PROJECT_ROOT / "feedback")


def max_bytes() -> int:
    try:
        mb = float(os.environ.get("XAI_FEEDBACK_MAX_MB", 512))
    except ValueError:
        mb = 512.0
    return int(mb * 2**20)


def input_suffix(raw: bytes) -> str:
    """File suffix from the content (never from the user's name)."""
    if raw[:2] == b"\x1f\x8b":
        return ".nii.gz"
    if len(raw) >= 348 and raw[344:348] in (b"n+1\x00", b"ni1\x00") or raw[4:8] == b"n+2\x00":
        return ".nii"
    from nets.io.image_loader import sniff_image_kind
    return {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "bmp": ".bmp", "webp": ".webp", "dicom": ".dcm"}.get(sniff_image_kind(raw) or "", ".bin")


def check_label(label, classes) -> str:
    """The user's label as one of the task's classes (case-insensitive), else BadLabelError."""
    name = str(label or "").strip().upper()
    if name not in [c.upper() for c in classes]:
        shown = str(label)[:40] if label else "nothing"
        raise BadLabelError(f"'{shown}' is not a class of this model; choose one of {', '.join(classes)}.")
    return next(c for c in classes if c.upper() == name)


def store_bytes(root: Path) -> int:
    root = Path(root)
    files = [root / LINES] + (list((root / INPUTS).iterdir()) if (root / INPUTS).is_dir() else [])
    return sum(f.stat().st_size for f in files if f.is_file())


def record_feedback(raw: bytes, *, run_id: str, task: str, model: str, prediction: str, label, classes,
                    source: str = "page", root=None, limit_bytes: int | None = None) -> dict:
    """Store one feedback: exactly one line, and the input once. Returns the line written."""
    if not raw:
        raise InputError("There is no input to keep with this feedback.")
    label = check_label(label, classes)
    root = Path(root or feedback_root())
    limit = max_bytes() if limit_bytes is None else limit_bytes
    sha = hashlib.sha256(raw).hexdigest()
    name = f"{INPUTS}/{sha}{input_suffix(raw)}"
    line = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "run_id": str(run_id)[:64],
            "task": task, "model": model, "prediction": prediction, "label": label, "agrees": label == prediction,
            "input": name, "sha256": sha, "source": source}
    text = json.dumps(line, ensure_ascii=False) + "\n"
    with _lock:
        (root / INPUTS).mkdir(parents=True, exist_ok=True)
        new_file = not (root / name).exists()
        used = store_bytes(root)
        need = len(text.encode()) + (len(raw) if new_file else 0)
        if used + need > limit:
            raise FeedbackFullError(f"The feedback store is full ({used / 2**20:.1f} MB of {limit / 2**20:.1f} MB); "
                                    "this feedback was not kept. The operator can raise XAI_FEEDBACK_MAX_MB.")
        if new_file:
            tmp = root / f"{name}.part"
            tmp.write_bytes(raw)
            tmp.replace(root / name)
        with open(root / LINES, "a", encoding="utf-8") as f:
            f.write(text)
    return line


def read_feedback(root=None, task: str | None = None) -> list:
    """Every readable line (of `task`), each with `path`: its stored input (lines whose input is gone are left out)."""
    root = Path(root or feedback_root())
    rows = []
    p = root / LINES
    if not p.is_file():
        return rows
    for text in p.read_text(encoding="utf-8").splitlines():
        try:
            r = json.loads(text)
        except json.JSONDecodeError:
            continue
        if (task is None or r.get("task") == task) and (root / str(r.get("input", ""))).is_file():
            rows.append({**r, "path": str(root / r["input"])})
    return rows


def feedback_summary(root=None) -> dict:
    """For python -m gui.logs: how many, per task, how many corrections, the store's size and limit."""
    root = Path(root or feedback_root())
    rows = read_feedback(root)
    per_task = {}
    for r in rows:
        t = per_task.setdefault(r["task"], {"feedback": 0, "corrections": 0})
        t["feedback"] += 1
        t["corrections"] += 0 if r.get("agrees") else 1
    n_inputs = len(list((root / INPUTS).glob("*"))) if (root / INPUTS).is_dir() else 0
    return {"folder": str(root), "feedback": len(rows), "inputs": n_inputs, "per_task": per_task,
            "bytes": store_bytes(root) if root.is_dir() else 0, "max_bytes": max_bytes()}
