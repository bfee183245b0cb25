"""Subject-level split of the real brains shared by the stage model and the brain-age model: every subject is in
training or validation, never both, stratified by source and age."""
from __future__ import annotations

import numpy as np

from nets.data.brain_subjects import is_real_subject

# the ds002748 validation subjects of the stage model trained before IXI was added (drawn at random, seed 0); kept
# so both models are compared on the same people
LEGACY_DS002748_VAL = ("sub-07", "sub-26", "sub-29", "sub-38", "sub-43", "sub-51")


def split_subjects(names, ages=None, seed=0, ixi_every=4) -> tuple:
    """(train, val). ds002748: the legacy six; IXI: subjects sorted by age in consecutive groups of `ixi_every`, one
    drawn per group (so validation spans 20-82 years like training). Templates (colin27, mni152) always train."""
    names = list(names)
    val = [s for s in LEGACY_DS002748_VAL if s in names]
    ixi = [s for s in names if s.startswith("IXI")]
    if ixi:
        ages = ages or {}
        ixi = sorted(ixi, key=lambda s: (ages.get(s, 0.0), s))
        rng = np.random.default_rng(seed)
        for k in range(0, len(ixi), ixi_every):
            group = ixi[k:k + ixi_every]
            if len(group) == ixi_every or k == 0:
                val.append(group[int(rng.integers(len(group)))])
    if not val:  # no known subject (e.g. a tiny synthetic set): a third of the real ones
        real = sorted(s for s in names if is_real_subject(s))
        val = real[::3]
    val = sorted(val)
    return [s for s in names if s not in val], val


def age_folds(subjects, ages: dict, k=5, seed=0) -> list:
    """k folds over subjects, stratified by source and age (sorted by age within each source, dealt round-robin from
    a random start), for out-of-fold brain-age predictions of every subject."""
    rng = np.random.default_rng(seed)
    folds = [[] for _ in range(k)]
    for source in ("sub-", "IXI"):
        group = sorted((s for s in subjects if s.startswith(source)), key=lambda s: (ages[s], s))
        start = int(rng.integers(k))
        for i, s in enumerate(group):
            folds[(start + i) % k].append(s)
    return [sorted(f) for f in folds]
