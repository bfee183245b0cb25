"""Visit/action log: JSON Lines in run_logs/YYYY-MM-DD.jsonl (UTC). One os.write per line on an O_APPEND file,
under a process lock, so concurrent sessions never interleave or lose lines. Never logs file content or names."""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

from nets import PROJECT_ROOT

LOG_DIR = Path(os.environ.get("XAI_RUN_LOGS") or PROJECT_ROOT / "run_logs")  # XAI_RUN_LOGS: elsewhere (tests)
_lock = threading.Lock()


def log_event(action: str, session: str = "", ip: str = "", user_agent: str = "", log_dir=None, **fields) -> dict:
    now = dt.datetime.now(dt.timezone.utc)
    rec = {"time": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"), "session": session, "ip": ip,
           "user_agent": user_agent, "action": action}
    rec.update({k: v for k, v in fields.items() if v is not None})
    line = (json.dumps(rec, ensure_ascii=False, default=str) + "\n").encode()
    d = Path(log_dir or LOG_DIR)
    d.mkdir(parents=True, exist_ok=True)
    with _lock:
        fd = os.open(d / f"{now:%Y-%m-%d}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return rec


def client_ip(headers: dict, remote: str = "") -> str:
    """X-Forwarded-For aware: the first address in the header, else the socket peer."""
    xff = headers.get("X-Forwarded-For") or headers.get("x-forwarded-for")
    if xff:
        return xff.split(",")[0].strip()
    return remote or ""
