"""Bring any T1 volume to the engine grid: RAS -> 2 mm -> foreground -> moment alignment to MNI -> brain mask
-> intensity normalisation. Each step is a small function; `BrainPreprocessor` composes them.

The alignment matches the centre of mass and the per-axis spread of the head/brain foreground to a template
(skull-stripped MNI152 or Colin27 with skull, whichever correlates better), so the same brain stored in another
orientation, voxel size or position lands on (nearly) the same model input. Intensities are divided by a
brain percentile, so scaling a scan (x0.5, x2) does not change the model input.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from nets.io.nibabel_import import nib

import numpy as np

from nets.errors import NotABrainError
from nets.helper_threads import submit_if_free
from nets.io.nifti_loader import Volume
from nets.transforms.binary_morphology import binary_dilation
from nets.transforms.engine_grid import ENGINE_AFFINE, SHAPE, VOXEL_MM
from nets.transforms.resample import block_mean, grid_sampler, resample_to_grid
from nets.transforms.templates import get_templates

SLAB_MM = 150.0  # vertex to lower cerebellum, roughly
MIN_SIMILARITY = 0.45  # below: not a brain (blank, noise, phantom, other body part)
WARN_SIMILARITY = 0.65  # below: analysed, but flagged as a poor match


@dataclass
class PreprocessedBrain:
    image: np.ndarray  # float32, engine grid, normalised, masked
    mask: np.ndarray  # bool, engine grid brain mask used
    world_map: np.ndarray  # 4x4: engine world -> input world (mm)
    template: str  # "brain" or "head"
    similarity: float
    warnings: list = field(default_factory=list)


def reorient_to_ras(data, affine):
    img = nib.as_closest_canonical(nib.Nifti1Image(data, affine))
    return np.asarray(img.dataobj, dtype=np.float32), img.affine


def otsu_threshold(values, bins=128):
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres) / np.maximum(w0, 1)
    m1 = (np.sum(hist * centres) - np.cumsum(hist * centres)) / np.maximum(w1, 1)
    return centres[np.argmax(w0 * w1 * (m0 - m1) ** 2)]


def foreground_mask(data):
    """Head/brain foreground: Otsu on the non-background range, largest component, holes filled."""
    hi = np.percentile(data, 99.5)
    lo = np.percentile(data, 0.5)
    if not np.isfinite(hi) or hi - lo <= 1e-6 * max(abs(hi), 1):
        raise NotABrainError("The volume is blank or constant: there is no brain to analyse.")
    x = np.clip((data - lo) / (hi - lo), 0, 1)
    t = max(otsu_threshold(x[x > 0.02]) * 0.5, 0.05) if (x > 0.02).sum() > 100 else 0.05
    m = x > t
    from scipy import ndimage  # here: a cached volume never needs it (binary_morphology.py)
    m = ndimage.binary_opening(m, iterations=1)
    lab, n = ndimage.label(m)
    if n == 0:
        raise NotABrainError("The volume has no foreground: there is no brain to analyse.")
    sizes = ndimage.sum(m, lab, index=np.arange(1, n + 1))
    m = lab == (1 + int(np.argmax(sizes)))
    m = ndimage.binary_closing(m, iterations=2)
    return ndimage.binary_fill_holes(m)


def mask_moments(mask, affine, slab_mm=SLAB_MM):
    """Centre and spread of the foreground within slab_mm below its top (vertex), so a neck does not count."""
    idx = np.argwhere(mask)
    if len(idx) < 50:
        raise NotABrainError("The foreground is too small to be a brain.")
    world = idx @ affine[:3, :3].T + affine[:3, 3]
    world = world[world[:, 2] > world[:, 2].max() - slab_mm]
    return world.mean(0), world.std(0)


def scaled_slab_moments(mask, affine, s_t, slab_mm=SLAB_MM):
    """mask_moments with a slab as tall as the template's slab would be on this head: its height follows the
    left-right / front-back size against the template's. (A fixed slab cut a 10 % larger head higher up than the
    template, so the up-down scale came out near 1 and the brain landed ~9 mm low.)"""
    c_in, s_in = mask_moments(mask, affine, slab_mm)
    k = float(np.clip(np.mean(s_in[:2] / s_t[:2]), 0.6, 1.6))
    return mask_moments(mask, affine, slab_mm * k) if abs(k - 1) > 0.01 else (c_in, s_in)


def moment_world_map(c_in, s_in, c_t, s_t, max_scale=(0.6, 1.6)):
    """Template world -> input world: match centre of mass and per-axis spread."""
    scale = np.clip(s_in / s_t, *max_scale)
    m = np.eye(4)
    m[:3, :3] = np.diag(scale)
    m[:3, 3] = c_in - scale * c_t
    return m


def rigid_scale_matrix(p):
    """9 parameters (translation mm, rotation rad, log-scale) -> 4x4 about the template origin."""
    tx, ty, tz, rx, ry, rz, sx, sy, sz = p
    cx, sx_, cy, sy_, cz, sz_ = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    rot = (np.array([[1, 0, 0], [0, cx, -sx_], [0, sx_, cx]]) @ np.array([[cy, 0, sy_], [0, 1, 0], [-sy_, 0, cy]])
           @ np.array([[cz, -sz_, 0], [sz_, cz, 0], [0, 0, 1]]))
    m = np.eye(4)
    m[:3, :3] = rot @ np.diag(np.exp([sx, sy, sz]))
    m[:3, 3] = [tx, ty, tz]
    return m


def refine_world_map(data, affine, init_map, template, mask, max_evals=120, coarse_mm=6.0):
    """Maximise NCC with the template over rotation/translation/scale on a coarse grid (Powell, bounded budget).
    Only the voxels inside `mask` are sampled: the NCC sees nothing else."""
    from scipy.optimize import minimize
    step = int(round(coarse_mm / VOXEL_MM))
    g_aff = ENGINE_AFFINE.copy()
    g_aff[:3, :3] *= step
    msk = mask[::step, ::step, ::step]
    tmpl = template[::step, ::step, ::step][msk]
    small, small_aff = block_mean(data, affine, coarse_mm / 2)
    sample = grid_sampler(small, small_aff, g_aff, np.argwhere(msk), lambda p: init_map @ rigid_scale_matrix(p))

    def cost(p):
        return -ncc_values(sample(p), tmpl)

    x0 = np.zeros(9)
    base = cost(x0)
    res = minimize(cost, x0, method="Powell", options={"maxfev": max_evals, "xtol": 1e-2, "ftol": 1e-4},
                   bounds=[(-30, 30)] * 3 + [(-0.5, 0.5)] * 3 + [(-0.3, 0.3)] * 3)
    if res.fun < base:
        return init_map @ rigid_scale_matrix(res.x)
    return init_map


def ncc(a, b, mask):
    return ncc_values(a[mask], b[mask])


def ncc_values(a, b):
    x, y = a.astype(np.float64), b.astype(np.float64)
    x, y = x - x.mean(), y - y.mean()
    d = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / d) if d > 0 else 0.0


def normalise_intensity(image, mask, pct=99.0, clip=1.5):
    vals = image[mask]
    scale = np.percentile(vals, pct) if vals.size else 0
    if not np.isfinite(scale) or scale <= 0:
        raise NotABrainError("The brain region is empty after alignment.")
    return np.clip(image / scale, 0, clip).astype(np.float32)


@lru_cache(maxsize=1)
def model_mask() -> np.ndarray:
    """The region every model input keeps (the MNI brain mask grown by one voxel); zero outside. Simulated training
    volumes use the same mask, so training and inference inputs look alike."""
    return binary_dilation(get_templates().brain_mask, iterations=1)


class BrainPreprocessor:
    def __init__(self, voxel_mm: float = VOXEL_MM, refine: bool = True):
        self.voxel_mm = voxel_mm
        self.refine = refine
        self.t = get_templates()
        idx_brain = self.t.brain_mask
        self._brain_moments = mask_moments(idx_brain, ENGINE_AFFINE)
        self._head_moments = mask_moments(self.t.head_mask, ENGINE_AFFINE) if self.t.head is not None else None
        self._eval_mask = binary_dilation(idx_brain, iterations=2)
        self._apply_mask = model_mask()
        self._head_eval_mask = (binary_dilation(self.t.head_mask, iterations=2)
                                if self.t.head is not None else None)

    def _resample_masked(self, data, affine, wm):
        img = resample_to_grid(data, affine, ENGINE_AFFINE, SHAPE, world_map=wm)
        img = np.where(self._apply_mask, img, 0).astype(np.float32)
        if not np.any(img[self._apply_mask] > 0):
            return None
        return normalise_intensity(img, self._apply_mask & (img > 0))

    def _refine_on_brain(self, data, affine, wm, sim, img):
        """A head with its skull (e.g. IXI) aligned on the Colin27 head: refine once more on the skull-stripped
        brain template inside its brain mask at 4 mm, so the brain itself (not the scalp) is what matches; the
        brain mask then removes the skull. On IXI heads the similarity rises from ~0.61 to ~0.72."""
        wm2 = refine_world_map(data, affine, wm, self.t.brain, self._eval_mask, max_evals=150, coarse_mm=4.0)
        img2 = self._resample_masked(data, affine, wm2)
        if img2 is None:
            return wm, img, sim
        sim2 = ncc(img2, self.t.brain, self._eval_mask)
        return (wm2, img2, sim2) if sim2 > sim else (wm, img, sim)

    def _candidate(self, data, affine, fg, name, tmpl, moments, tmask):
        """(name, similarity, world map, image) of an alignment on one template, or None if nothing is left in
        the brain mask. The head candidate runs on a helper thread when it is free (scipy releases the GIL)."""
        c_in, s_in = scaled_slab_moments(fg, affine, moments[1])
        wm = moment_world_map(c_in, s_in, *moments)
        if self.refine:
            wm = refine_world_map(data, affine, wm, tmpl, tmask)
        img = self._resample_masked(data, affine, wm)
        return None if img is None else (name, ncc(img, self.t.brain, self._eval_mask), wm, img)

    def __call__(self, vol: Volume) -> PreprocessedBrain:
        data, affine = reorient_to_ras(vol.data, vol.affine)
        data, affine = block_mean(data, affine, self.voxel_mm)
        lo = np.percentile(data, 0.5)
        data = data - lo  # MR intensities may be offset or negative; make background ~0
        fg = foreground_mask(data)
        candidates = [("brain", self.t.brain, self._brain_moments, self._eval_mask)]
        if self._head_moments is not None:
            candidates.append(("head", self.t.head, self._head_moments, self._head_eval_mask))
        beside = [submit_if_free("align", self._candidate, data, affine, fg, *c) for c in candidates[1:]]
        tried = [self._candidate(data, affine, fg, *candidates[0])]
        tried += [b.result() if b else self._candidate(data, affine, fg, *c) for b, c in zip(beside, candidates[1:])]
        # every candidate is judged on the same thing: the masked brain against the brain template
        best = max((t for t in tried if t is not None), key=lambda t: t[1], default=None)
        if best is None:
            raise NotABrainError("Nothing is left inside the brain mask after alignment.")
        name, sim, wm, img = best
        if name == "head" and self.refine:
            wm, img, sim = self._refine_on_brain(data, affine, wm, sim, img)
        mask = self._apply_mask
        warnings = []
        if sim < MIN_SIMILARITY:
            raise NotABrainError(
                f"This volume does not look like a T1-weighted brain MRI (similarity to the MNI template "
                f"{sim:.2f} < {MIN_SIMILARITY}). It was not classified.")
        if sim < WARN_SIMILARITY:
            warnings.append(f"Low similarity to a T1 brain template ({sim:.2f}); the result may be unreliable.")
        return PreprocessedBrain(img, mask, wm, name, sim, warnings)
