"""gui/layout.py without a browser: the progress line shows one current step (it used to pile up "Reading,
Reading, Preprocessing ..."), and the phone CSS leaves colour bars at their own width."""
from contextlib import contextmanager
from types import SimpleNamespace

import gui.layout as layout


class FakeOutput:
    """Records what a scope holds: a cleared scope keeps only what is put after the clear."""

    def __init__(self):
        self.scopes, self.current, self.bar = {}, None, None

    @contextmanager
    def use_scope(self, name, clear=False):
        if clear:
            self.scopes[name] = []
        self.scopes.setdefault(name, [])
        before, self.current = self.current, name
        yield
        self.current = before

    def put_processbar(self, name, value, label=""):
        self.bar = (value, label)

    def set_processbar(self, name, value, label=""):
        self.bar = (value, label)

    def put_scope(self, name):
        self.scopes.setdefault(name, [])

    def put_html(self, html):
        self.scopes[self.current].append(html)

    def clear(self, name):
        self.scopes[name] = []


def test_progress_line_shows_only_the_current_step_and_the_queue_place(monkeypatch):
    fake = FakeOutput()
    monkeypatch.setattr(layout, "out", fake)
    monkeypatch.setattr(layout, "scroll_into_view", lambda scope: None)
    line = layout.ProgressLine(SimpleNamespace(lang="en"))
    line.waiting(3)
    assert fake.scopes["progress_text"] == ['<div class="xai-progress-line">Waiting: place 3 in the queue</div>']
    line.step("reading", 0.1)
    line.step("preprocessing", 0.4)
    assert fake.scopes["progress_text"] == ['<div class="xai-progress-line">Preprocessing</div>']
    assert fake.bar == (0.4, "40%")
    line.ctx.lang = "zh"
    line.step("classifying", 0.7)
    assert fake.scopes["progress_text"] == ['<div class="xai-progress-line">分类</div>']
    line.close()
    assert fake.scopes["progress"] == []


def test_phone_rule_stretches_pictures_but_not_colour_bars():
    rule = next(r for r in layout.PAGE_CSS.splitlines() if "width: 100% !important" in r)
    assert f':not([width="{layout.BAR_WIDTH}"])' in rule


def test_a_language_switch_redraws_the_running_step_and_nothing_after_the_work(monkeypatch):
    fake = FakeOutput()
    monkeypatch.setattr(layout, "out", fake)
    monkeypatch.setattr(layout, "scroll_into_view", lambda scope: None)
    ctx = SimpleNamespace(lang="en")
    line = layout.ProgressLine(ctx)
    assert ctx.progress is line
    line.step("preprocessing", 0.2)
    ctx.lang = "zh"
    line.redraw()  # what switch_lang does while the work runs
    assert fake.scopes["progress_text"] == ['<div class="xai-progress-line">预处理</div>']
    line.waiting(2)
    ctx.lang = "en"
    line.redraw()
    assert fake.scopes["progress_text"] == ['<div class="xai-progress-line">Waiting: place 2 in the queue</div>']
    line.done()
    fake.scopes["progress_text"] = []
    line.redraw()
    assert fake.scopes["progress_text"] == [] and ctx.progress is None


def test_the_question_button_follows_the_page_not_the_browser():
    assert "提交" in layout.submit_label_style("zh") and layout.submit_label_style("en") == ""
