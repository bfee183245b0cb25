"""Occlusion sensitivity for 3D models (MONAI's OcclusionSensitivity, with a reference volume instead of a constant):
each cube of the input in turn is replaced by the same cube of a reference (e.g. the mean of healthy training brains)
and the change of a score is recorded. Slower than LRP (one forward per cube) but it answers a different question:
which region, made typical, would change the answer."""
from __future__ import annotations

import numpy as np
import torch


class OcclusionSensitivity:
    def __init__(self, model: torch.nn.Module, window: int = 12, stride: int = 6, batch: int = 4):
        self.model, self.window, self.stride, self.batch = model.eval(), window, stride, batch

    def corners(self, shape):
        w, s = self.window, self.stride
        return [(i, j, k) for i in range(0, shape[0] - w + 1, s) for j in range(0, shape[1] - w + 1, s)
                for k in range(0, shape[2] - w + 1, s)]

    def __call__(self, x: np.ndarray, reference: np.ndarray, score, progress=None) -> tuple:
        """x, reference: (D, H, W); score: logits (N, classes) -> (N,) numpy; progress(fraction done), if given.
        Returns (score of x, list of (score change, corner) for every cube, largest increase first)."""
        w = self.window

        def run(vols):
            with torch.no_grad():
                return score(self.model(torch.from_numpy(np.stack(vols).astype(np.float32))[:, None]))

        base = float(run([x])[0])
        corners = self.corners(x.shape)
        changes = []
        for a in range(0, len(corners), self.batch):
            vols = []
            for i, j, k in corners[a:a + self.batch]:
                y = x.copy()
                y[i:i + w, j:j + w, k:k + w] = reference[i:i + w, j:j + w, k:k + w]
                vols.append(y)
            changes += [(float(v) - base, c) for v, c in zip(run(vols), corners[a:a + self.batch])]
            if progress is not None:
                progress(min(1.0, (a + self.batch) / len(corners)))
        changes.sort(key=lambda t: -t[0])
        return base, changes


def occlusion_map(changes, shape, window: int) -> np.ndarray:
    """Per voxel, the mean score change of the cubes that cover it (0 where none does): the map MONAI's
    OcclusionSensitivity returns, at the resolution of the stride."""
    total = np.zeros(shape, np.float32)
    count = np.zeros(shape, np.float32)
    for change, (i, j, k) in changes:
        total[i:i + window, j:j + window, k:k + window] += change
        count[i:i + window, j:j + window, k:k + window] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def class_log_odds(index: int):
    """Score: log P(class) / P(any other class), from logits."""
    def score(logits: torch.Tensor) -> np.ndarray:
        others = torch.cat([logits[:, :index], logits[:, index + 1:]], 1)
        return (logits[:, index] - torch.logsumexp(others, 1)).numpy()
    return score


cn_log_odds = class_log_odds(0)  # for models whose first class is CN


def describe_cubes(changes, window: int, image: np.ndarray, top: int = 3) -> list:
    """The `top` cubes of `changes` ((change, corner), as returned by OcclusionSensitivity on the engine grid) as a
    reader needs them: centre in MNI mm, the score change, the AAL region covering most of the cube, and how much of
    the cube is the image's lateral ventricles / the medial temporal lobe."""
    from nets.simulation.structures import medial_temporal_mask, ventricle_mask
    from nets.transforms.engine_grid import ENGINE_AFFINE
    from nets.transforms.templates import get_templates
    t = get_templates()
    vent, mtl = ventricle_mask(image), medial_temporal_mask()
    out = []
    for change, (i, j, k) in changes[:top]:
        cube = (slice(i, i + window), slice(j, j + window), slice(k, k + window))
        centre = ENGINE_AFFINE @ np.array([i + (window - 1) / 2, j + (window - 1) / 2, k + (window - 1) / 2, 1.0])
        labels = t.atlas[cube][t.atlas[cube] > 0] if t.atlas is not None else np.zeros(0, int)
        region = t.atlas_names.get(int(np.bincount(labels).argmax()), "") if labels.size else "outside atlas regions"
        out.append({"mni_mm": np.round(centre[:3]).astype(int).tolist(), "change": round(change, 2),
                    "region": region, "ventricle_share": round(float(vent[cube].mean()), 3),
                    "medial_temporal_share": round(float(mtl[cube].mean()), 3)})
    return out
