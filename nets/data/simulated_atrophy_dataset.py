"""Simulated-atrophy volumes drawn on the fly from real brains (evaluation: every call draws fresh random atrophy)."""
from __future__ import annotations

import numpy as np
import torch

from nets.simulation.atrophy import LEVELS, simulate


class SimulatedAtrophyDataset(torch.utils.data.Dataset):
    """Simulated volumes generated on the fly (evaluation: every call draws fresh random atrophy)."""

    def __init__(self, brains: dict, subjects: list, n: int, seed: int, augment=True):
        self.brains, self.subjects, self.n, self.seed, self.augment = brains, subjects, n, seed, augment

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        rng = np.random.default_rng((self.seed, i))
        subj = self.subjects[i % len(self.subjects)]
        level = (i // len(self.subjects)) % LEVELS
        s = simulate(self.brains[subj], level, rng, augment=self.augment)
        return torch.from_numpy(s.image)[None], level, torch.from_numpy(s.changed)
