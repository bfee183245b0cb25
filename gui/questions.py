"""One-choice questions on the page (which model? which MRI model?): PyWebIO radio forms whose words follow a
language switch while they are open."""
from pywebio import session
from pywebio.input import radio

from gui.i18n import t


def ask(ctx, texts, pick):
    """A one-choice question (PyWebIO radio); texts() gives its words in the page's current language, so a language
    switch while it is open relabels it (switch_lang -> relabel_question)."""
    ctx.question = texts
    try:
        q = texts()
        return radio(q["title"], options=[{"label": v, "value": k} for k, v in q["options"].items()], value=pick,
                     help_text=q["help"] or None)
    finally:
        ctx.question = None


RELABEL_JS = """
var c = document.querySelector('#input-container');
if (c) {
  var h = c.querySelector('.card-header'); if (h) h.textContent = q.title;
  c.querySelectorAll('input[type=radio]').forEach(function (i) {
    var v = JSON.parse(i.value), lab = i.closest('label');
    if (lab && q.options[v] !== undefined) lab.childNodes.forEach(function (n) {
      if (n.nodeType === 3 && n.textContent.trim()) n.textContent = ' ' + q.options[v];
    });
  });
  var hp = c.querySelector('small.form-text'); if (hp && q.help) hp.textContent = q.help;
}
"""


def relabel_question(ctx):
    """The open question's title, options and help in the page's new language (PyWebIO cannot redraw an open
    input from another thread, so its words are replaced in the browser)."""
    texts = ctx.question
    if texts is not None:
        session.run_js(RELABEL_JS, q=texts())


def mri_model_label(name: str, lang: str) -> str:
    """One short line per MRI model in the page's language (the card's training_data is long and English)."""
    label = t(f"mri_model_{name}", lang)
    return name if label == f"mri_model_{name}" else label
