"""CLI: python -m gui.logs [--days N] [--dir run_logs]  -> JSON summary of visits, actions, tasks and errors."""
import collections
import datetime as dt
import json
import sys
from pathlib import Path

from gui.visit_log import LOG_DIR
from nets.cli_contract import JsonArgumentParser, run_cli


def summarise(log_dir=LOG_DIR, days=7) -> dict:
    since = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days - 1)
    actions, tasks, errors, preds = (collections.Counter() for _ in range(4))
    sessions, n, bad = set(), 0, 0
    for f in sorted(Path(log_dir).glob("*.jsonl")):
        try:
            day = dt.date.fromisoformat(f.stem)
        except ValueError:
            continue
        if day < since:
            continue
        for line in f.read_text().splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            n += 1
            actions[r.get("action")] += 1
            sessions.add(r.get("session"))
            if r.get("task"):
                tasks[r["task"]] += 1
            if r.get("error"):
                errors[r["error"]] += 1
            if r.get("prediction"):
                preds[r["prediction"]] += 1
    return {"days": days, "lines": n, "unreadable_lines": bad, "sessions": len(sessions - {None, ""}),
            "visits": actions.get("visit", 0), "actions": dict(actions), "tasks": dict(tasks),
            "predictions": dict(preds), "errors": dict(errors), "feedback": _feedback()}


def _feedback():
    """The feedback store (nets/feedback/store.py): how many, per task, corrections, size and limit."""
    from nets.feedback.store import feedback_summary
    return feedback_summary()


def main(argv=None):
    ap = JsonArgumentParser(prog="python -m gui.logs", description=__doc__)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--dir", default=str(LOG_DIR))
    a = ap.parse_args(argv)
    print(json.dumps(summarise(a.dir, a.days), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
