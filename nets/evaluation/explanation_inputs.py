"""Inputs on which explanations are checked (nets.evaluate_faithfulness, nets.sanity_check, nets.skin_background):
the shipped models' own validation images (same group split as training: nets/training/group_split.py) and, for
MRI, simulated atrophy of the held-out subjects (as nets.evaluate mri does). Nothing here was used to train."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nets import SHARED_DATA
from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK


def validation_images(task: str, n: int, data_dir=None, seed: int = 0) -> list:
    """n random images of the model's validation split: dicts with x (1, C, H, W), label, file, image (uint8)."""
    from nets.training.splits_2d import train_val_split_2d
    from nets.transforms.image_to_tensor import image_to_tensor
    cfg = CONFIGS[DEFAULT_MODEL_FOR_TASK[task]]
    root = Path(data_dir).parent if data_dir else SHARED_DATA  # data_dir: the task's folder in the shared data
    ds, _, va = train_val_split_2d(task, root, cfg)  # the cards' split (nets/training/splits_2d.py)
    pick = np.random.default_rng(seed).permutation(va)[:n]
    return [{"x": image_to_tensor(ds.images[i], cfg.input), "label": int(ds.labels[i]), "file": ds.files[i],
             "image": ds.images[i]} for i in pick]


def held_out_brains(card: dict, data_dir=None) -> dict:
    """The MRI card's held-out subjects on the engine grid (only these; from the subject cache, preprocessed once)."""
    from nets.data.brain_subjects import load_subjects
    return load_subjects(Path(data_dir or SHARED_DATA), progress=False, only=card["split"]["val_subjects"])


def atrophy_volumes(card: dict, n: int, levels=(2, 3, 4), data_dir=None, seed: int = 2024) -> list:
    """n simulated-atrophy volumes of the held-out subjects (levels cycling over `levels`): dicts with x
    (1, 1, D, H, W), label (the level), changed (bool mask of changed tissue)."""
    from nets.simulation.atrophy import simulate
    brains = held_out_brains(card, data_dir)
    subjects = sorted(brains)
    out = []
    for i in range(n):
        rng = np.random.default_rng((seed, i))
        s, level = subjects[i % len(subjects)], levels[(i // len(subjects)) % len(levels)]
        sim = simulate(brains[s], level, rng, augment=True)
        out.append({"x": torch.from_numpy(sim.image)[None, None], "label": level, "changed": sim.changed,
                    "file": f"{s} level {level}"})
    return out


def inputs_with_reference(m, task: str, n: int, data_dir=None) -> tuple:
    """(items, reference, mask) for an explanation check: MRI: simulated atrophy of the held-out subjects with the
    MNI152 reference brain and the model mask; 2D: validation images (no reference, no mask)."""
    if task != "mri":
        return validation_images(task, n, data_dir), None, None
    from nets.predictor import Predictor
    from nets.transforms.brain_preprocessing import model_mask
    return atrophy_volumes(m.card, n, data_dir=data_dir), Predictor()._reference_brain(None)[1], model_mask()
