"""Plots for python -m nets.compare: ROC (one line per model; one-vs-rest macro average for more than two classes),
reliability diagram (confidence vs accuracy per model) and one confusion matrix per model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from nets.render.plots import save_confusion_matrix


def _mean_roc(curves: dict, classes: list):
    """Binary: the positive (second) class's curve; more classes: the macro average of the one-vs-rest curves."""
    if len(classes) == 2 and classes[1] in curves:
        return curves[classes[1]]
    grid = np.linspace(0, 1, 201)
    tprs = [np.interp(grid, fpr, tpr) for fpr, tpr in curves.values()]
    return grid, np.mean(tprs, 0) if tprs else grid


def save_comparison_plots(rows: list, classes: list, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(5, 4.5), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    for r in rows:
        fpr, tpr = _mean_roc(r["_curves"], classes)
        ax.plot(fpr, tpr, label=f"{r['model']} (AUC {r['auc']:.3f})" if r["auc"] is not None else r["model"])
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate",
           title="ROC" + (f" ({classes[1]})" if len(classes) == 2 else " (macro average, one vs rest)"))
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out_dir / "roc.png")
    fig = Figure(figsize=(5, 4.5), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    for r in rows:
        pts = r["_reliability"]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=f"{r['model']} (ECE {r['ece']:.3f})")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="confidence (top probability)", ylabel="accuracy", title="Reliability", xlim=(0, 1), ylim=(0, 1))
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(out_dir / "reliability.png")
    plots = {"roc": str(out_dir / "roc.png"), "reliability": str(out_dir / "reliability.png")}
    for r in rows:
        plots[f"confusion_{r['model']}"] = save_confusion_matrix(r["confusion_matrix"], classes,
                                                                 out_dir / f"confusion_{r['model']}.png", r["model"])
    return plots
