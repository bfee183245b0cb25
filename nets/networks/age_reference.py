"""Age-referenced CN decision of the MRI stage model (issue 14, design C).

Healthy brains look more atrophied with age, so the stage network's CN log-odds of unmodified healthy brains falls
with age (about 0.05-0.2 per year after 40-60 in the training subjects). With the person's stated age the service
adds back what healthy people of that age lose: CN logit += per_year x max(0, age - hinge_years), under the CN prior
`cn_prior_with_age` (the age-free design's, chosen on validation subjects). The hinge and slope are fitted on the
training subjects' unmodified brains only (`fit_age_trend`), never on the subjects reported. Without an age nothing
changes (the prior baked into the weights, design A). The card holds the parameters (`age_reference`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HINGES = (40.0, 45.0, 50.0, 55.0, 60.0)


def cn_log_odds(logits: np.ndarray) -> np.ndarray:
    """log P(CN) - log P(not CN) per row of (n, K) logits."""
    z = np.asarray(logits, np.float64)
    rest = np.log(np.exp(z[:, 1:] - z.max(1, keepdims=True)).sum(1)) + z.max(1)
    return z[:, 0] - rest


def cn_prior_offsets(q: float, k: int) -> np.ndarray:
    """log(prior / uniform) with P(CN) = q and the other k - 1 classes sharing 1 - q (nets/networks/prior_shift.py)."""
    return np.log(np.array([q] + [(1 - q) / (k - 1)] * (k - 1)) * k)


def fit_age_trend(ages, log_odds, hinges=HINGES) -> tuple:
    """(hinge, per_year, residual sum of squares): least squares of log_odds ~ a - per_year x max(0, age - hinge),
    the hinge picked from `hinges` by the smallest residual."""
    ages, y = np.asarray(ages, float), np.asarray(log_odds, float)
    best = None
    for h in hinges:
        x = np.c_[np.ones_like(ages), np.maximum(0.0, ages - h)]
        coef = np.linalg.lstsq(x, y, rcond=None)[0]
        sse = float(((x @ coef - y) ** 2).sum())
        if best is None or sse < best[2]:
            best = (float(h), float(max(0.0, -coef[1])), sse)
    return best


@dataclass(frozen=True)
class AgeReference:
    hinge_years: float
    per_year: float  # CN log-odds added per year above the hinge
    cn_prior_with_age: float
    cn_prior_baked: float  # the decision prior already in the weights' output bias
    max_age_years: float = float("inf")  # the oldest training brain: the trend is not extrapolated beyond it

    def cn_added(self, age: float) -> float:
        """What healthy people of this age lose in CN log-odds, given back (ages past the oldest training brain
        count as that age)."""
        return self.per_year * max(0.0, min(float(age), self.max_age_years) - self.hinge_years)

    def offsets(self, age: float, k: int) -> np.ndarray:
        """Added to the served logits (which already carry the baked prior) when the age is given."""
        off = cn_prior_offsets(self.cn_prior_with_age, k) - cn_prior_offsets(self.cn_prior_baked, k)
        off[0] += self.cn_added(age)
        return off

    @classmethod
    def from_card(cls, card: dict) -> "AgeReference | None":
        ref = card.get("age_reference")
        if not ref:
            return None
        return cls(float(ref["hinge_years"]), float(ref["per_year"]), float(ref["cn_prior_with_age"]),
                   float(ref["cn_prior_baked"]), float(ref.get("max_age_years", float("inf"))))


def stage_age_offsets(card: dict, age: float | None, k: int) -> tuple:
    """(logit offsets or None, the result JSON's `age_reference` numbers or None) for a stage model's card and the
    stated age; nothing without an age or without `age_reference` in the card (its words: nets/report/age_text.py)."""
    ref = AgeReference.from_card(card)
    if ref is None or age is None:
        return None, None
    info = {"age": round(float(age), 1), "cn_log_odds_added": round(ref.cn_added(age), 3),
            "cn_prior": ref.cn_prior_with_age, "hinge_years": ref.hinge_years, "per_year": ref.per_year}
    return ref.offsets(age, k), info
