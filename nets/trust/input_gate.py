"""The input gate of a 2D model: is this image like the model's training images? Obvious cases by image statistics
(tiny, strip-shaped, colour sent to the radiograph model, greyscale sent to the dermoscopy model), the rest by the
Mahalanobis distance of the network's pooled features to the training images' class means. Thresholds are chosen
on validation data by `python -m nets.fit_trust` and stored in <weights>.gate.npz next to the weights."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nets.errors import OVERRIDE_HINT
from nets.trust.feature_density import energy_score, knn_score, mahalanobis_score

EXPECTS = {
    "chest": "a frontal chest X-ray (a greyscale radiograph of the whole chest, like the paediatric films the model "
             "was trained on)",
    "skin": "a dermoscopy photo (a colour close-up of one skin lesion taken through a dermatoscope)",
}
# fixed geometric limits (the model input is 144-160 px, whole image resized, aspect not kept)
MIN_SIDE_REFUSE, MIN_SIDE_FLAG = 32, 96
ASPECT_REFUSE, ASPECT_FLAG = 3.0, 2.0


@dataclass
class Verdict:
    level: str  # "ok" | "flag" | "refuse"
    reasons: list = field(default_factory=list)
    score: float | None = None
    flag_threshold: float | None = None
    refuse_threshold: float | None = None
    method: str = ""

    def to_json(self) -> dict:
        r = lambda v: None if v is None else round(float(v), 4)
        return {"level": self.level, "reasons": self.reasons, "score": r(self.score),
                "flag_threshold": r(self.flag_threshold), "refuse_threshold": r(self.refuse_threshold),
                "method": self.method}


def gate_path_for(weights) -> Path:
    w = Path(weights)
    return w.with_name(w.stem + ".gate.npz")


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


class ImageGate:
    def __init__(self, task: str, method: str, stats: dict, flag: float, refuse: float, colour: dict,
                 weights_sha256: str = ""):
        self.task, self.method, self.stats = task, method, stats
        self.flag, self.refuse, self.colour, self.weights_sha256 = float(flag), float(refuse), colour, weights_sha256

    # -- persistence ------------------------------------------------------------------------------------------
    def save(self, path) -> Path:
        arrays = {f"stat_{k}": v for k, v in self.stats.items()}
        np.savez_compressed(path, task=self.task, method=self.method, flag=self.flag, refuse=self.refuse,
                            colour_keys=np.array(list(self.colour)), colour_vals=np.array(list(self.colour.values()),
                                                                                          np.float64),
                            weights_sha256=self.weights_sha256, **arrays)
        return Path(path)

    @classmethod
    def load(cls, path) -> "ImageGate":
        z = np.load(path, allow_pickle=False)
        stats = {k[5:]: z[k] for k in z.files if k.startswith("stat_")}
        colour = dict(zip([str(k) for k in z["colour_keys"]], map(float, z["colour_vals"])))
        return cls(str(z["task"]), str(z["method"]), stats, float(z["flag"]), float(z["refuse"]), colour,
                   str(z["weights_sha256"]))

    # -- scoring ----------------------------------------------------------------------------------------------
    def score(self, logits: np.ndarray, features: np.ndarray) -> np.ndarray:
        if self.method == "energy":
            return energy_score(logits)
        f = np.atleast_2d(features)[:, -int(self.stats["dims"]):]
        if self.method.startswith("knn"):
            return knn_score(f, self.stats)
        return mahalanobis_score(f, self.stats)

    def check_statistics(self, s: dict) -> list:
        """[(level, reason)] from image statistics alone (no network needed)."""
        out = []
        if s["min_side"] < MIN_SIDE_REFUSE:
            out.append(("refuse", f"the image is only {s['width']}x{s['height']} pixels"))
        elif s["min_side"] < MIN_SIDE_FLAG:
            out.append(("flag", f"the image is small ({s['width']}x{s['height']} pixels)"))
        if s["aspect"] > ASPECT_REFUSE:
            out.append(("refuse", f"the image is a strip (aspect ratio {s['aspect']:.1f}:1)"))
        elif s["aspect"] > ASPECT_FLAG:
            out.append(("flag", f"unusual aspect ratio ({s['aspect']:.1f}:1)"))
        c, col = s["colourfulness"], self.colour
        if "refuse_above" in col and c > col["refuse_above"]:
            out.append(("refuse", f"the image is in colour (colourfulness {c:.0f}; radiographs are greyscale)"))
        elif "flag_above" in col and c > col["flag_above"]:
            out.append(("flag", f"the image has some colour (colourfulness {c:.0f})"))
        if "refuse_below" in col and c < col["refuse_below"]:
            out.append(("refuse", f"the image is (nearly) greyscale (colourfulness {c:.0f})"))
        elif "flag_below" in col and c < col["flag_below"]:
            out.append(("flag", f"the image has little colour (colourfulness {c:.0f})"))
        return out

    def verdict(self, stats: dict, logits, features) -> Verdict:
        found = self.check_statistics(stats)
        sc = float(self.score(np.atleast_2d(logits), features)[0])
        if sc > self.refuse:
            found.append(("refuse", f"its features are far from the training images' (score {sc:.0f} > {self.refuse:.0f})"))
        elif sc > self.flag:
            found.append(("flag", f"its features are unusual for the training images (score {sc:.0f} > {self.flag:.0f})"))
        level = "refuse" if any(lv == "refuse" for lv, _ in found) else "flag" if found else "ok"
        return Verdict(level, [r for _, r in found], sc, self.flag, self.refuse, self.method)

    def card_entry(self) -> dict:
        return {"method": self.method, "flag_threshold": self.flag, "refuse_threshold": self.refuse,
                "colour_thresholds": self.colour,
                "geometry": {"min_side_refuse": MIN_SIDE_REFUSE, "min_side_flag": MIN_SIDE_FLAG,
                             "aspect_refuse": ASPECT_REFUSE, "aspect_flag": ASPECT_FLAG}}


def refusal_message(task: str, verdict: Verdict) -> str:
    why = "; ".join(verdict.reasons) or "it is unlike the training images"
    return (f"This does not look like {EXPECTS[task]}: {why}. It was not classified. "
            f"If you are sure it is such an image, you can ask for an answer anyway {OVERRIDE_HINT}.")
