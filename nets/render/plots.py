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
