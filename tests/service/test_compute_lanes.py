"""Compute lanes: 2D work runs while the 3D lane is busy, a full line is refused at once with a Retry-After, and the
API's pool keeps a fixed number of threads however many jobs pass through."""
import threading
import time

import pytest

from nets.service.compute_lanes import ComputeLane, QueueFullError, lane_for


def test_tasks_map_to_their_lanes():
    assert lane_for("mri").name == "3d" and lane_for("chest").name == "2d" and lane_for("skin").name == "2d"
    assert lane_for("occlusion").name == "long"


def test_2d_job_does_not_wait_for_a_busy_3d_lane():
    slow, fast = ComputeLane("3d", 1, 4), ComputeLane("2d", 1, 4)
    release = threading.Event()
    blocker = slow.submit(release.wait)
    queued = slow.submit(lambda: "mri done")
    assert fast.submit(lambda: "chest done").result(timeout=5) == "chest done"  # 3d lane still busy
    assert not queued.done() and slow.waiting() == 1
    release.set()
    assert queued.result(timeout=5) == "mri done" and blocker.result(timeout=5)


def test_full_line_is_refused_at_once_with_retry_after():
    lane = ComputeLane("3d", 1, 2)
    release = threading.Event()
    running = lane.submit(release.wait)
    time.sleep(0.2)  # the first job has its slot; the next two wait
    waiting = [lane.submit(lambda: 1) for _ in range(2)]
    with pytest.raises(QueueFullError) as ei:
        lane.submit(lambda: 1)
    assert ei.value.code == "server_busy" and ei.value.retry_after >= 1
    with pytest.raises(QueueFullError):
        lane.run(lambda: 1)  # a page session is refused the same way
    release.set()
    assert running.result(5) and [f.result(5) for f in waiting] == [1, 1]
    assert lane.run(lambda: 2) == 2  # room again


def test_page_callers_see_their_place_and_share_the_slots():
    lane = ComputeLane("2d", 1, 4)
    release = threading.Event()
    places = []
    busy = lane.submit(release.wait)
    time.sleep(0.1)
    t = threading.Thread(target=lambda: lane.run(lambda: None, on_wait=places.append))
    t.start()
    time.sleep(1.2)
    release.set()
    t.join(5)
    assert busy.result(5) and places and places[0] == 1


def test_the_pool_keeps_a_fixed_number_of_threads():
    lane = ComputeLane("2d", 2, 200)
    before = threading.active_count()
    futures = [lane.submit(lambda i=i: i * i) for i in range(150)]
    assert [f.result(10) for f in futures] == [i * i for i in range(150)]
    assert threading.active_count() - before <= 2


def test_page_results_are_released_when_the_session_moves_on():
    """release_results drops the slice view (and, unless shared with a shown class, the model input); a slider
    callback of a released result then does nothing instead of drawing an old result."""
    from types import SimpleNamespace
    from gui.app import release_results
    from gui.explanation_sections import _show_slice
    from nets.result import LiveHandles, ModelInput, Result
    model = SimpleNamespace(config=SimpleNamespace(classes=("CN", "AD")))
    handles = LiveHandles(ModelInput(x=1), views={("lrp", 0): object()})

    def result():
        return Result("r", "mri", model, None, None, 0, object(), {}, [], {}, {}, handles=handles)
    shown, old = result(), result()
    release_results([old], keep_cache=True)
    assert old.renderer is None and old.handles is handles  # kept: the shown class shares the model input
    assert shown.view("lrp", 0) is not None
    release_results([old])
    assert old.handles is None and shown.handles is handles and shown.view("lrp", 0) is not None
    release_results([shown])
    assert shown.renderer is None and shown.handles is None and shown.view("lrp", 0) is None
    # the slider callback asks the released result for its view: no PyWebIO call (would raise outside a session)
    assert _show_slice(None, shown, ("lrp", 0), "axial", 3) is None


def test_pool_threads_of_a_slow_lane_run_at_lower_priority():
    import os
    lane = ComputeLane("3d", 1, 4, nice=5)
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    got = lane.submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())).result(5)
    assert got == min(19, base + 5)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base  # the caller is untouched


def test_a_second_click_on_explain_another_class_while_one_runs_does_nothing(monkeypatch):
    """Page callbacks run in their own threads: two overlapping runs drew the result twice (three "analyse another"
    buttons on the page). While one runs, another click returns without touching the page or the model."""
    from types import SimpleNamespace
    import gui.app as app
    calls = []
    monkeypatch.setattr(app.service, "explain_class", lambda res, cls: calls.append("model"))
    monkeypatch.setattr(app.out, "toast", lambda *a, **k: calls.append("toast"))
    ctx = SimpleNamespace(explaining=threading.Lock(), lang="en")
    ctx.explaining.acquire()
    app.explain_other(ctx, SimpleNamespace(task="chest"), "NORMAL")
    assert calls == []
    ctx.explaining.release()
    with pytest.raises(AttributeError):  # free again: this call gets as far as the (fake) model
        app.explain_other(ctx, SimpleNamespace(task="chest"), "NORMAL")
    assert calls == ["toast", "model"] and not ctx.explaining.locked()


def test_a_lane_trims_the_heap_once_its_busy_spell_is_over(monkeypatch):
    """Freed arrays go back to the OS when the lane has nothing running or waiting, not after every queued job."""
    import nets.service.compute_lanes as lanes
    trims = []
    monkeypatch.setattr(lanes, "trim_heap", lambda: trims.append(1))
    lane = ComputeLane("3d", 1, 4)
    release = threading.Event()
    first = lane.submit(release.wait)
    time.sleep(0.1)
    second = lane.submit(lambda: "done")
    release.set()
    assert first.result(5) and second.result(5) == "done"
    time.sleep(0.1)
    assert trims == [1]  # not after the first job: the second was waiting
