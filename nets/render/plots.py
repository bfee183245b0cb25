"""Evaluation plots: confusion matrix heatmap, ROC curves, training curves (thread-safe Figure API)."""
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure


def save_confusion_matrix(cm, classes, path, title="Confusion matrix"):
    cm = np.asarray(cm)
    fig = Figure(figsize=(1.2 + 0.7 * len(classes), 1.0 + 0.6 * len(classes)), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    annot = np.array([[f"{c}\n{p:.0%}" for c, p in zip(row, prow)] for row, prow in zip(cm, norm)])
    sns.heatmap(norm, annot=annot, fmt="", cmap="Blues", vmin=0, vmax=1, xticklabels=classes,
                yticklabels=classes, ax=ax, cbar=True, annot_kws={"size": 7})
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return str(path)


def save_roc_curves(curves, path, title="ROC (one vs rest)"):
    from sklearn.metrics import auc
    fig = Figure(figsize=(5, 4.5), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    for name, (fpr, tpr) in curves.items():
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    return str(path)


def save_training_curves(history, path):
    fig = Figure(figsize=(8, 3.2), dpi=110)
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    ep = [h["epoch"] for h in history]
    ax1.plot(ep, [h["train_loss"] for h in history], label="train loss")
    ax1.plot(ep, [h["val_loss"] for h in history], label="val loss")
    ax1.set_xlabel("epoch")
    ax1.legend()
    ax2.plot(ep, [h["val_balanced_accuracy"] for h in history], label="val balanced acc")
    if history and history[0].get("val_auc") is not None:
        ax2.plot(ep, [h["val_auc"] for h in history], label="val AUC")
    ax2.set_xlabel("epoch")
    ax2.set_ylim(0, 1)
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path)
    return str(path)


def save_occlusion_planes(image: np.ndarray, evidence: np.ndarray, path, title="", target="") -> str:
    """Axial, coronal and sagittal slices (engine grid, RAS) through the voxel where the occlusion map is strongest,
    oriented and lettered as the gallery's (nets/render/slice_renderer.py), with the map over the brain in the
    diverging scale of every explanation (nets/render/colour_scale.py): red = the region speaks for `target`, blue =
    against it."""
    from nets.render.colour_scale import DIVERGING
    from nets.render.slice_renderer import AXIS, LETTERS, PLANES, cut
    peak = np.unravel_index(int(np.argmax(np.abs(evidence))), evidence.shape)
    lim = float(np.abs(evidence).max()) or 1.0
    fig = Figure(figsize=(9.6, 3.6), dpi=100)
    for n, plane in enumerate(PLANES):
        img, ch = (cut(v, plane, int(peak[AXIS[plane]])) for v in (image, evidence))
        ax = fig.add_subplot(1, 3, n + 1)
        ax.imshow(img, cmap="gray", vmin=0, vmax=1.2)
        shown = np.ma.masked_where((np.abs(ch) < 0.05 * lim) | (img <= 0), ch)
        im = ax.imshow(shown, cmap=DIVERGING, vmin=-lim, vmax=lim, alpha=0.75)
        ax.set_title(plane, fontsize=10)
        for txt, pos in zip(LETTERS[plane], ((0.02, 0.5), (0.95, 0.5), (0.5, 0.93), (0.5, 0.02))):
            ax.text(*pos, txt, transform=ax.transAxes, color="yellow", fontsize=9, ha="center")
        ax.axis("off")
    cb = fig.colorbar(im, ax=fig.axes, fraction=0.02, pad=0.01)
    cb.set_label(f"blue: against {target}   log-odds drop   red: for {target}", fontsize=9)
    cb.ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=9)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return str(path)
