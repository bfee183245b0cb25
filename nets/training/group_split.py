"""Split by group (patient / lesion / subject), never by image, stratified on each group's majority label."""
import numpy as np


def group_split(groups, labels, val_fraction=0.2, seed=0):
    groups = np.asarray(groups)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    uniq = np.unique(groups)
    glabel = {g: np.bincount(labels[groups == g]).argmax() for g in uniq}
    val_groups = set()
    for c in np.unique(labels):
        gs = np.array([g for g in uniq if glabel[g] == c])
        rng.shuffle(gs)
        val_groups.update(gs[: max(1, int(round(len(gs) * val_fraction)))])
    val = np.array([g in val_groups for g in groups])
    return np.where(~val)[0], np.where(val)[0]
