"""The MRI input gate: after alignment to MNI, a T1-weighted brain has bright white matter, darker grey matter and
dark CSF. The gate measures that order inside the MNI152 tissue maps (nilearn): median intensity of white matter
(WM probability > 0.9), grey matter (GM > 0.6), and the 25th percentile of central CSF (both < 0.15, mostly the
ventricles), each on the brain mask eroded by 2 voxels. Contrasts (WM - GM) / WM and (GM - CSF) / WM are both clearly positive on every
real T1 the project handles; inverted (T2-like) contrast makes them negative and smooth random blobs bring them
near zero. Thresholds: `python -m nets.fit_trust mri`, stored in <weights>.gate.npz."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from nets.errors import OVERRIDE_HINT
from nets.trust.input_gate import Verdict

EXPECTS_T1 = ("a T1-weighted brain MRI (white matter brighter than grey matter, CSF dark), skull-stripped or with "
              "skull, any orientation and voxel size")
FEATURES = ("wm_gm_contrast", "gm_csf_contrast")


@lru_cache(maxsize=1)
def tissue_regions():
    from nets.transforms.binary_morphology import binary_erosion
    from nets.transforms.templates import get_templates
    t = get_templates()
    inner = binary_erosion(t.brain_mask, iterations=2)
    return inner & (t.wm > 0.9), inner & (t.gm > 0.6), inner & (t.gm < 0.15) & (t.wm < 0.15)


def tissue_contrast(image: np.ndarray) -> dict:
    """CSF is the darker quarter of the central-CSF region: after an affine alignment a subject's ventricles
    overlap the template's only in part, and the median there is often white matter."""
    wm, gm, csf = tissue_regions()
    m_wm, m_gm = (float(np.median(image[r])) for r in (wm, gm))
    m_csf = float(np.percentile(image[csf], 25))
    scale = max(abs(m_wm), abs(m_gm), abs(m_csf), 1e-6)
    return {"wm_gm_contrast": (m_wm - m_gm) / scale, "gm_csf_contrast": (m_gm - m_csf) / scale,
            "wm": m_wm, "gm": m_gm, "csf": m_csf}


class BrainGate:
    def __init__(self, flag: dict, refuse: dict, weights_sha256: str = ""):
        self.flag, self.refuse, self.weights_sha256 = flag, refuse, weights_sha256

    def save(self, path):
        np.savez_compressed(path, method="tissue_contrast", features=np.array(FEATURES),
                            flag=np.array([self.flag[f] for f in FEATURES]),
                            refuse=np.array([self.refuse[f] for f in FEATURES]), weights_sha256=self.weights_sha256)

    @classmethod
    def load(cls, path) -> "BrainGate":
        z = np.load(path, allow_pickle=False)
        names = [str(f) for f in z["features"]]
        return cls(dict(zip(names, map(float, z["flag"]))), dict(zip(names, map(float, z["refuse"]))),
                   str(z["weights_sha256"]))

    def verdict(self, image: np.ndarray) -> Verdict:
        c = tissue_contrast(image)
        found = []
        for f, words in (("wm_gm_contrast", "white matter brighter than grey matter"),
                         ("gm_csf_contrast", "grey matter brighter than CSF")):
            if c[f] < self.refuse[f]:
                found.append(("refuse", f"the tissue contrast is not T1-like: expected {words}, measured "
                                        f"{f.replace('_', ' ')} {c[f]:+.2f} (real T1 scans: > {self.flag[f]:.2f})"))
            elif c[f] < self.flag[f]:
                found.append(("flag", f"weak {f.replace('_', ' ')} ({c[f]:+.2f}) for a T1 scan"))
        level = "refuse" if any(lv == "refuse" for lv, _ in found) else "flag" if found else "ok"
        score = min(c[f] for f in FEATURES)
        v = Verdict(level, [r for _, r in found], score, None, None, "tissue_contrast")
        v.contrast = {k: round(float(val), 4) for k, val in c.items()}
        return v


def refusal_message_t1(verdict: Verdict) -> str:
    return (f"This does not look like {EXPECTS_T1}: {'; '.join(verdict.reasons)}. It was not classified. If you "
            f"are sure it is a T1-weighted brain scan, you can ask for an answer anyway {OVERRIDE_HINT}.")
