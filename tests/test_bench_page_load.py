"""bench/bench_page_load.py: the server-side split read from the run log (no timing is asserted on a real run)."""
import json

from bench.bench_page_load import server_log_times


def test_server_log_times_pairs_each_answer_with_its_sessions_upload(tmp_path):
    rows = [
        {"time": "2026-12-02T00:00:00.000Z", "session": "a", "action": "upload", "task": "mri"},
        {"time": "2026-12-02T00:00:01.000Z", "session": "b", "action": "upload", "task": "chest"},
        {"time": "2026-12-02T00:00:01.500Z", "session": "b", "action": "predict", "task": "chest",
         "timings": {"total": 0.3}},
        {"time": "2026-12-02T00:00:10.000Z", "session": "a", "action": "predict", "task": "mri",
         "timings": {"total": 2.0}},
        {"time": "2026-12-02T00:01:00.000Z", "session": "c", "action": "upload", "task": "skin"},  # after the window
        {"time": "2026-12-02T00:01:02.000Z", "session": "c", "action": "predict", "task": "skin",
         "timings": {"total": 0.2}},
    ]
    (tmp_path / "2026-12-02.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    import datetime as dt
    t0 = dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc).timestamp()
    out = server_log_times(tmp_path, t0, t0 + 30)
    assert set(out) == {"mri", "chest"}
    assert out["mri"] == {"n": 1, "own_work_s": [2.0, 2.0, 2.0], "upload_to_answer_s": [10.0, 10.0, 10.0]}
    assert out["chest"]["upload_to_answer_s"] == [0.5, 0.5, 0.5] and out["chest"]["own_work_s"] == [0.3, 0.3, 0.3]
