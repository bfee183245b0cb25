"""Occlusion sensitivity for 3D models (MONAI's OcclusionSensitivity, with a reference volume instead of a constant):
each cube of the input in turn is replaced by the same cube of a reference (e.g. the mean of healthy training brains)
and the change of a score is recorded. Slower than LRP (one forward per cube) but it answers a different question:
which region, made typical, would change the answer."""
from __future__ import annotations

import numpy as np
import torch

from nets.interpret.attribution import Attribution, Explainer


class OcclusionSensitivity:
    def __init__(self, model: torch.nn.Module, window: int = 12, stride: int = 6, batch: int = 4):
        self.model, self.window, self.stride, self.batch = model.eval(), window, stride, batch

    def corners(self, shape):
        w, s = self.window, self.stride
        return [(i, j, k) for i in range(0, shape[0] - w + 1, s) for j in range(0, shape[1] - w + 1, s)
                for k in range(0, shape[2] - w + 1, s)]

    def __call__(self, x: np.ndarray, reference: np.ndarray, score, progress=None, mask=None,
                 refine_top: int | None = None) -> tuple:
        """x, reference: (D, H, W); score: logits (N, classes) -> (N,) numpy; progress(fraction done), if given.
        mask: only cubes that touch it are tried; give it where x differs from the reference, and the others are
        listed with change 0 without a forward (exact). refine_top: coarse-to-fine, for speed: first the
        non-overlapping cubes (stride = window), then every stride-spaced cube overlapping the `refine_top` coarse
        cubes whose change is largest in size; None tries every stride-spaced cube.
        Returns (score of x, list of (score change, corner) for every cube tried or known, largest increase
        first); self.forwards counts the forward passes."""
        base = float(self._scores(x, reference, [None], score)[0])
        corners = [c for c in self.corners(x.shape) if mask is None or self._touches(mask, c)]
        # cubes outside the mask where x equals the reference change nothing: known without a forward
        untouched = [(0.0, c) for c in self.corners(x.shape) if mask is not None and not self._touches(mask, c)]
        if refine_top is None:
            changes = self._changes(x, reference, corners, score, base, progress, (0.0, 1.0))
        else:
            w = self.window
            coarse = [c for c in corners if all(v % w == 0 for v in c)]
            changes = self._changes(x, reference, coarse, score, base, progress, (0.0, 0.6))
            done = set(coarse)
            top = sorted(changes, key=lambda t: -abs(t[0]))[:refine_top]
            grid = set(corners)
            near = {tuple(v + (d - 1) * self.stride for v, d in zip(c, ds)) for _, c in top
                    for ds in np.ndindex(3, 3, 3)}
            fine = sorted((near & grid) - done)
            changes += self._changes(x, reference, fine, score, base, progress, (0.6, 1.0))
            if progress is not None:
                progress(1.0)
        self.forwards = len(changes) + 1
        changes += untouched
        changes.sort(key=lambda t: -t[0])
        return base, changes

    def _touches(self, mask, c) -> bool:
        w = self.window
        return bool(mask[c[0]:c[0] + w, c[1]:c[1] + w, c[2]:c[2] + w].any())

    def _scores(self, x, reference, corners, score):
        """Scores of x with each corner's cube taken from reference (None: x unchanged)."""
        w = self.window
        vols = []
        for c in corners:
            y = x.copy()
            if c is not None:
                i, j, k = c
                y[i:i + w, j:j + w, k:k + w] = reference[i:i + w, j:j + w, k:k + w]
            vols.append(y)
        with torch.no_grad():
            return score(self.model(torch.from_numpy(np.stack(vols).astype(np.float32))[:, None]))

    def _changes(self, x, reference, corners, score, base, progress, span) -> list:
        out = []
        for a in range(0, len(corners), self.batch):
            part = corners[a:a + self.batch]
            out += [(float(v) - base, c) for v, c in zip(self._scores(x, reference, part, score), part)]
            if progress is not None:
                progress(span[0] + (span[1] - span[0]) * min(1.0, (a + self.batch) / len(corners)))
        return out


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


class ImageOcclusion(Explainer):
    """Occlusion for 2D images behind the common interface: each window x window patch in turn is set to the
    training mean (0 after normalisation) and the drop of the target's log-odds is recorded; a pixel's value is the
    mean drop over the patches covering it. Positive: hiding the region lowers the target, so it speaks for it."""
    method = "occlusion"
    signed = True

    def __init__(self, model: torch.nn.Module, window: int = 20, stride: int = 10, batch: int = 16):
        # 16 images a pass: chest 1.22 s, skin 0.75 s; 32 a pass: 1.56 / 0.86 s (2 cores)
        self.model, self.window, self.stride, self.batch = model.eval(), window, stride, batch

    def explain(self, x: torch.Tensor, target: int) -> Attribution:
        h, w = x.shape[-2:]
        s, win = self.stride, self.window
        corners = [(i, j) for i in range(0, h - win + 1, s) for j in range(0, w - win + 1, s)]
        score = class_log_odds(int(target))
        with torch.no_grad():
            base = float(score(self.model(x))[0])
            drops = []
            for a in range(0, len(corners), self.batch):
                part = corners[a:a + self.batch]
                xs = x.repeat(len(part), 1, 1, 1)
                for n, (i, j) in enumerate(part):
                    xs[n, :, i:i + win, j:j + win] = 0.0
                drops += list(base - score(self.model(xs)))
        total, count = np.zeros((h, w), np.float32), np.zeros((h, w), np.float32)
        for d, (i, j) in zip(drops, corners):
            total[i:i + win, j:j + win] += d
            count[i:i + win, j:j + win] += 1
        m = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        return Attribution(m, int(target), self.method, True,
                           {"window_px": win, "stride_px": s, "forwards": len(corners) + 1,
                            "log_odds": round(base, 3), "unit": "log-odds drop when hidden"})


def volume_occlusion(model, x: np.ndarray, reference: np.ndarray, target: int, mask=None, refine_top=8,
                     window=12, stride=6, progress=None) -> tuple:
    """MRI occlusion as an Attribution (evidence for `target`: made like the reference, the cube lowers the target's
    log-odds) plus the raw (change, corner) list that describe_cubes reads. Fast by default: brain-mask cubes,
    coarse-to-fine (refine_top=None: every cube, as the evaluation runs it)."""
    # volumes in pairs, the shape of every answer's own pass (nets/networks/single_volume_batch.py): demo.nii's fast
    # map 4.3-4.4 s, in batches of 4 4.9-6.0 s, of 6 5.8-6.2 s (2 cores, one-off probe)
    occ = OcclusionSensitivity(model, window=window, stride=stride, batch=2)
    base, changes = occ(x, reference, class_log_odds(int(target)), progress, mask=mask, refine_top=refine_top)
    m = -occlusion_map(changes, x.shape, window)
    return Attribution(m, int(target), "occlusion", True,
                       {"window_mm": window * 2, "stride_mm": stride * 2, "forwards": occ.forwards,
                        "log_odds": round(base, 3), "unit": "log-odds drop when made like the reference",
                        "coarse_to_fine": refine_top}), base, changes


class VolumeOcclusion(Explainer):
    """MRI occlusion behind the common interface: each cube in turn made like a healthy `reference` brain on the same
    grid. Cubes where input and reference agree change nothing and are skipped (exact); fast by default (coarse to
    fine around the 8 strongest), every=True tries every cube. The raw (change, corner) list that describe_cubes
    reads and the base log-odds come back in Attribution.extra."""
    method = "occlusion"
    signed = True

    def __init__(self, model: torch.nn.Module, reference: np.ndarray, window: int = 12, stride: int = 6,
                 every: bool = False, progress=None):
        self.model, self.reference, self.window, self.stride = model, reference, window, stride
        self.every, self.progress = every, progress

    def explain(self, x: torch.Tensor, target: int) -> Attribution:
        image = x[0, 0].numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        mask = None if self.every else image != self.reference
        a, base, changes = volume_occlusion(self.model, image, self.reference, target, mask=mask,
                                            refine_top=None if self.every else 8, window=self.window,
                                            stride=self.stride, progress=self.progress)
        a.extra.update(base=base, changes=changes)
        return a
