"""Say how sure, in words. Stated rule: the answer is "uncertain between X and Y" when the two largest calibrated
probabilities differ by less than MARGIN (0.20)."""
from __future__ import annotations

import numpy as np

MARGIN = 0.20
RULE = "uncertain when top-1 minus top-2 calibrated probability < 0.20"


def uncertainty(probs, classes) -> dict:
    p = np.asarray(probs, float)
    order = np.argsort(-p)
    top, second = int(order[0]), int(order[1]) if len(p) > 1 else int(order[0])
    margin = float(p[top] - p[second])
    return {"uncertain": bool(len(p) > 1 and margin < MARGIN), "runner_up": classes[second],
            "runner_up_probability": float(p[second]), "margin": round(margin, 4), "uncertainty_rule": RULE}


def headline(prediction: str, info: dict, lang: str = "en") -> str:
    if not info.get("uncertain"):
        return prediction
    if lang == "zh":
        return f"不确定：{prediction} 或 {info['runner_up']}"
    return f"uncertain between {prediction} and {info['runner_up']}"
