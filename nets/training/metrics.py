"""Honest classification metrics: balanced accuracy, per-class recall, AUC, sensitivity/specificity."""
import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve


def classification_metrics(y_true, probs, classes, positive=None):
    y_true = np.asarray(y_true)
    probs = np.asarray(probs, dtype=np.float64)
    pred = probs.argmax(1)
    k = len(classes)
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, pred):
        cm[t, p] += 1
    recall = {c: (float(cm[i, i] / cm[i].sum()) if cm[i].sum() else None) for i, c in enumerate(classes)}
    present = [r for r in recall.values() if r is not None]
    out = {
        "n": int(len(y_true)),
        "accuracy": float((pred == y_true).mean()) if len(y_true) else None,
        "balanced_accuracy": float(np.mean(present)) if present else None,
        "per_class_recall": recall,
        "confusion_matrix": cm.tolist(),
    }
    try:
        if k == 2:
            out["auc"] = float(roc_auc_score(y_true, probs[:, 1]))
        else:
            labels_present = np.unique(y_true)
            if len(labels_present) == k:
                out["auc"] = float(roc_auc_score(y_true, probs, multi_class="ovr", average="macro"))
            else:
                out["auc"] = None
    except ValueError:
        out["auc"] = None
    if positive is not None and k == 2:
        pos = classes.index(positive)
        tp = int(((pred == pos) & (y_true == pos)).sum())
        fn = int(((pred != pos) & (y_true == pos)).sum())
        tn = int(((pred != pos) & (y_true != pos)).sum())
        fp = int(((pred == pos) & (y_true != pos)).sum())
        out["sensitivity"] = tp / (tp + fn) if tp + fn else None
        out["specificity"] = tn / (tn + fp) if tn + fp else None
    return out


def roc_points(y_true, probs, classes):
    """Per-class one-vs-rest ROC curves for plotting."""
    y_true = np.asarray(y_true)
    curves = {}
    for i, c in enumerate(classes):
        yb = (y_true == i).astype(int)
        if yb.min() == yb.max():
            continue
        fpr, tpr, _ = roc_curve(yb, np.asarray(probs)[:, i])
        curves[c] = (fpr, tpr)
    return curves
