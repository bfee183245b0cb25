"""Page layout helpers: the page's CSS (phones at 390 px), scrolling new content into view, the one-line progress."""
from __future__ import annotations

from pywebio import output as out

from gui.i18n import t

# PyWebIO draws put_row as a CSS grid and put_table as a <table>; on a phone the grid stacks, tables scroll
# sideways inside their own box, and images take the width of the screen.
BAR_WIDTH = "150px"  # colour bars: the phone rule below must not stretch them (a 150 px bar became 374 x 650 px)
PAGE_CSS = """
.markdown-body table, table { display: block; max-width: 100%; overflow-x: auto; }
.btn { white-space: nowrap; }
.xai-progress-line { color: #555; margin: 4px 0 12px 0; }
img { max-width: 100%; height: auto; }
footer.footer { display: none; }
body:has(#input-container form) .xai-credit { display: none; }  /* a question is open: the credit would sit above it */
#input-container button[type=reset] { display: none; }  /* one radio question: "Reset" only undoes the pick */
.xai-credit { color: #888; font-size: 0.85em; text-align: center; margin: 32px 0 8px 0; }
@media (max-width: 600px) {
  .container { padding-left: 8px !important; padding-right: 8px !important; }
  h1 { font-size: 1.6em; }
  div[style*="grid-template-columns"] { grid-template-columns: 1fr !important; grid-auto-flow: row !important; }
  #pywebio-scope-result img:not([width="150px"]) { width: 100% !important; }  /* colour bars keep BAR_WIDTH */
  .btn { margin-bottom: 4px; }
  /* the batch table as one card per file: name, then task / answer / confidence on a line, then the message */
  #pywebio-scope-batch_table table, #pywebio-scope-batch_table tbody, #pywebio-scope-batch_table tr { display: block; }
  #pywebio-scope-batch_table thead, #pywebio-scope-batch_table tr:has(th) { display: none; }
  #pywebio-scope-batch_table tr { border-bottom: 1px solid #ddd; padding: 6px 0; }
  #pywebio-scope-batch_table td { display: inline-block; border: none !important; padding: 2px 8px 2px 0; }
  #pywebio-scope-batch_table td:first-child { display: block; font-weight: bold; }
  #pywebio-scope-batch_table td:last-child { display: block; color: #555; }
}
"""


def put_page_style():
    out.put_html(f"<style>{PAGE_CSS}</style>")


# PyWebIO labels its form button from the browser's language, not the page's: in Chinese it is relabelled here
SUBMIT_LABEL = {"zh": "提交"}


def submit_label_style(lang: str) -> str:
    """CSS that shows the questions' submit button in the page's language (empty when PyWebIO's own label fits)."""
    label = SUBMIT_LABEL.get(lang)
    if not label:
        return ""
    return ('<style>#input-container button[type=submit] { font-size: 0; } '
            f'#input-container button[type=submit]::after {{ content: "{label}"; font-size: 1rem; }}</style>')


def scroll_into_view(scope: str):
    """Bring a scope's top to the top of the window (the new content is where the eye is)."""
    out.scroll_to(scope, position="top")


class ProgressLine:
    """One line with the current step, a bar, and the place in the queue: each update replaces the last."""

    def __init__(self, ctx, scope: str = "progress", bar: str = "bar"):
        self.ctx, self.scope, self.bar = ctx, scope, bar
        self.shown, self.active = ("reading", {}), True  # the sentence's key, so a language switch can redraw it
        with out.use_scope(scope, clear=True):
            out.put_processbar(bar, 0, label="0%")
            out.put_scope(f"{scope}_text")
        self.say("reading")
        ctx.progress = self
        scroll_into_view(scope)

    def say(self, key: str, **kw):
        self.shown = (key, kw)
        with out.use_scope(f"{self.scope}_text", clear=True):
            out.put_html(f'<div class="xai-progress-line">{_escape(t(key, self.ctx.lang, **kw))}</div>')

    def redraw(self):
        """The current sentence in the page's (new) language; nothing once the work is over."""
        if self.active:
            self.say(self.shown[0], **self.shown[1])

    def done(self):
        self.active = False
        if getattr(self.ctx, "progress", None) is self:
            self.ctx.progress = None

    def step(self, step: str, frac: float):
        out.set_processbar(self.bar, frac, label=f"{int(frac * 100)}%")
        self.say(step)

    def waiting(self, n: int):
        out.set_processbar(self.bar, 0.01, label="…")
        self.say("queue", n=n)

    def close(self):
        out.clear(self.scope)


def _escape(s: str) -> str:
    import html
    return html.escape(str(s))
