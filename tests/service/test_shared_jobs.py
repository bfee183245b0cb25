"""Identical API requests in flight share one job (nets/service/shared_jobs.py): the predictor runs once, each
caller still gets its own answer and visit-log line, an error reaches every caller, and a later request computes
afresh; an MRI is aligned in the prep lane before its 3d job. Fake predictors, no model runs."""
import asyncio
import threading
from concurrent.futures import Future
from types import SimpleNamespace

import numpy as np
import pytest

from nets import service
from nets.errors import CorruptFileError
from nets.service.analysis import SHARED_JOBS
from nets.service.shared_jobs import SharedJobs, job_key
from tests.service.test_routing_and_service import png, store  # noqa: F401 (the fixture)


def test_a_key_in_flight_is_joined_and_forgotten_when_done():
    jobs, made = SharedJobs(), []

    def submit():
        made.append(Future())
        return made[-1]
    a, joined_a = jobs.get_or_submit("k", submit)
    b, joined_b = jobs.get_or_submit("k", submit)
    assert a is b and (joined_a, joined_b) == (False, True) and len(made) == 1 and jobs.in_flight() == 1
    a.set_result(1)
    assert jobs.in_flight() == 0
    c, joined_c = jobs.get_or_submit("k", submit)
    assert c is not a and not joined_c  # finished jobs are not a cache

    def full():
        raise RuntimeError("lane full")
    with pytest.raises(RuntimeError):
        jobs.get_or_submit("other", full)
    assert jobs.in_flight() == 1  # only "k"
    assert job_key(b"x", "chest") == job_key(b"x", "chest") != job_key(b"y", "chest")


class HeldPredictor:
    """Counts its runs and waits for `release` before answering (or raising `error`)."""
    def __init__(self, error=None):
        self.calls, self.release, self.error, self.started = 0, threading.Event(), error, threading.Event()

    def predict_routed(self, raw, where, **kw):
        self.calls += 1
        self.started.set()
        assert self.release.wait(10)
        if self.error:
            raise self.error
        return SimpleNamespace(to_json=lambda: {"task": where.task, "input": {"kind": where.kind}, "prediction": "NORMAL",
                                                "timings_s": {}, "target": kw.get("target")})


@pytest.fixture
def held(store, monkeypatch):
    import nets.predictor
    _, lines = store

    def use(predictor):
        monkeypatch.setattr(nets.predictor, "default_predictor", lambda: predictor)
        return predictor
    return use, lines


def run_together(calls, predictor):
    async def main():
        tasks = [asyncio.ensure_future(c) for c in calls]
        await asyncio.get_running_loop().run_in_executor(None, predictor.started.wait, 10)
        await asyncio.sleep(0.3)  # every request has been routed and has joined or queued
        predictor.release.set()
        return await asyncio.gather(*tasks, return_exceptions=True)
    return asyncio.run(main())


def api(i):
    return service.Caller("api", "api_predict", f"api{i}")


def test_identical_requests_share_one_run_and_each_gets_its_answer_and_log_line(held):
    use, lines = held
    pred = use(HeldPredictor())
    joined_before = SHARED_JOBS.joined
    same = [service.analyse_async(png(False), "x.png", caller=api(i), then=lambda r, i=i: (i, r.to_json()["prediction"]))
            for i in range(3)]
    other = service.analyse_async(png(False), "x.png", target="PNEUMONIA", caller=api(9), then=lambda r: r.to_json())
    got = run_together([*same, other], pred)
    assert got[:3] == [(0, "NORMAL"), (1, "NORMAL"), (2, "NORMAL")] and got[3]["target"] == "PNEUMONIA"
    assert pred.calls == 2  # three identical requests ran once; another target is another job
    assert SHARED_JOBS.joined - joined_before == 2 and SHARED_JOBS.in_flight() == 0
    answered = sorted(r["session"] for r in lines() if r["action"] == "api_predict")
    assert answered == ["api0", "api1", "api2", "api9"]
    later = asyncio.run(service.analyse_async(png(False), "x.png", caller=api(5), then=lambda r: "again"))
    assert later == "again" and pred.calls == 3


def test_an_input_error_reaches_every_caller_and_each_logs_it(held):
    use, lines = held
    pred = use(HeldPredictor(error=CorruptFileError("planted: the pixels cannot be decoded")))
    got = run_together([service.analyse_async(png(True), "y.png", caller=api(i)) for i in range(2)], pred)
    assert pred.calls == 1 and all(isinstance(e, CorruptFileError) for e in got)
    errors = [(r["session"], r.get("error")) for r in lines() if r["action"] == "api_predict"]
    assert sorted(errors) == [("api0", "corrupt_file"), ("api1", "corrupt_file")]


class StagedPredictor(HeldPredictor):
    """Records the order of the MRI stages; `prep_error` fails the alignment."""
    def __init__(self, prep_error=None):
        super().__init__()
        self.release.set()
        self.order, self.prep_error = [], prep_error

    def prepare_volume(self, raw, where, age=None, weights=None):
        self.order.append(("prep", age))
        if self.prep_error:
            raise self.prep_error

    def predict_routed(self, raw, where, **kw):
        self.order.append(("predict", kw.get("age")))
        for step in (("reading", 0.05), ("classifying", 0.4)):
            if kw.get("progress"):
                kw["progress"](*step)
        return super().predict_routed(raw, where, **kw)


def test_a_volume_is_aligned_in_the_prep_lane_before_its_3d_job(held):
    from nets.errors import NotABrainError
    from tests.bad_inputs import nii_bytes
    use, lines = held
    vol = nii_bytes(np.ones((20, 20, 20), np.float32))
    pred = use(StagedPredictor())
    out = asyncio.run(service.analyse_async(vol, "v.nii", age="70", caller=api(1), then=lambda r: r.to_json()["task"]))
    assert out == "mri" and pred.order == [("prep", "70"), ("predict", "70")]
    pred = use(StagedPredictor(prep_error=NotABrainError("planted: nothing like a brain")))
    with pytest.raises(NotABrainError):
        asyncio.run(service.analyse_async(vol, "v.nii", caller=api(2)))
    assert pred.order == [("prep", None)]  # the model never runs on a volume that failed alignment
    assert [r.get("error") for r in lines() if r["session"] == "api2" and r["action"] == "api_predict"] == ["not_a_brain"]


def test_a_page_sees_the_prep_lane_and_a_progress_bar_that_never_moves_back(held):
    from tests.bad_inputs import nii_bytes
    use, _ = held
    pred, steps = use(StagedPredictor()), []
    page = service.Caller("page", "predict", "s1")
    res = service.analyse(nii_bytes(np.ones((20, 20, 20), np.float32)), "v.nii", caller=page,
                          progress=lambda *a: steps.append(a))
    assert res.to_json()["task"] == "mri" and [o[0] for o in pred.order] == ["prep", "predict"]
    assert steps == [("preprocessing", 0.2), ("classifying", 0.4)]  # "reading" (0.05) after the prep lane is dropped
