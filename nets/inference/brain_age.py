"""Brain age at inference: the committed ridge models (data/model_save/brain_age_ridge.npz, card beside it) on the
engine-grid image, its bias correction, a validated interval, and - when the person's age is given - the gap and
what it means, with the model's validation error beside it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nets import PROJECT_ROOT
from nets.errors import InvalidAgeError
from nets.inference.brain_age_features import features

WEIGHTS = PROJECT_ROOT / "data" / "model_save" / "brain_age_ridge.npz"
MIN_AGE, MAX_AGE = 0.0, 120.0


@dataclass(frozen=True)
class BrainAgeModel:
    members: tuple  # nets.networks.ridge_age.RidgeAge, averaged (one member since the RBF design)
    slope: float
    offset: float
    half_width: float
    level: float
    validation_mae: float
    validation_gap_mae: float
    card: dict

    def years(self, image: np.ndarray) -> float:
        """The raw estimate (no age needed)."""
        return float(np.mean([m.predict(features(m.kind, m.param, image))[0] for m in self.members]))

    def corrected(self, years: float, age: float) -> float:
        """Beheshti et al. 2019: the estimate moved by the model's own bias at that age."""
        from nets.networks.ridge_age import corrected
        return float(corrected(years, age, self.slope, self.offset))


@lru_cache(maxsize=2)
def load_brain_age_model(path: str = str(WEIGHTS)) -> BrainAgeModel | None:
    from nets.networks.ridge_age import RidgeAge
    p = Path(path)
    if not p.exists():
        return None
    d = np.load(p)
    card_path = p.with_suffix(".card.json")
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    members = tuple(RidgeAge(str(d[f"m{i}_kind"]), int(d[f"m{i}_param"]), float(d[f"m{i}_alpha"]), d[f"m{i}_mean"],
                             d[f"m{i}_scale"], d[f"m{i}_weights"], float(d[f"m{i}_intercept"]),
                             float(d[f"m{i}_gamma"]) if f"m{i}_gamma" in d else 0.0,  # linear files: no gamma
                             d[f"m{i}_support"] if f"m{i}_support" in d else None)
                    for i in range(int(d["n_members"])))
    return BrainAgeModel(members, float(d["slope"]), float(d["offset"]), float(d["half_width"]),
                         float(d["interval_level"]), float(d["validation_mae"]), float(d["validation_gap_mae"]), card)


def parse_age(value) -> float | None:
    """The person's age from a form, query or CLI field: None when empty; years in [0, 120] else InvalidAgeError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        age = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise InvalidAgeError(f"The age must be a number of years (got '{str(value)[:20]}').") from None
    if not np.isfinite(age) or not MIN_AGE <= age <= MAX_AGE:
        raise InvalidAgeError(f"The age must be between {MIN_AGE:g} and {MAX_AGE:g} years (got {age:g}).")
    return age


def gap_meaning(gap: float, mae: float) -> dict:
    """Words for a brain-age gap, judged against the mean gap of healthy validation subjects (not a diagnosis)."""
    if abs(gap) <= mae:
        en = (f"within what healthy validation subjects show (mean gap {mae:.1f} years): the brain looks about as old "
              "as the person")
        zh = f"在健康验证对象的常见范围内（平均差距 {mae:.1f} 岁）：大脑看起来与实际年龄相符"
    elif gap > 0:
        en = (f"the brain looks {gap:.0f} years older than the stated age, more than healthy validation subjects' "
              f"mean gap ({mae:.1f} years); healthy people also show such gaps, it is not a diagnosis")
        zh = f"大脑看起来比实际年龄老 {gap:.0f} 岁，超过健康验证对象的平均差距（{mae:.1f} 岁）；健康人也会有这样的差距，这不是诊断"
    else:
        en = (f"the brain looks {-gap:.0f} years younger than the stated age, more than healthy validation subjects' "
              f"mean gap ({mae:.1f} years); not a diagnosis")
        zh = f"大脑看起来比实际年龄年轻 {-gap:.0f} 岁，超过健康验证对象的平均差距（{mae:.1f} 岁）；这不是诊断"
    return {"en": en, "zh": zh}


def brain_age_result(image: np.ndarray, age: float | None = None, model: BrainAgeModel | None = None) -> dict | None:
    """{years, interval, interval_level, validation_mae, model [, age, gap, meaning]} or None without a model."""
    model = model or load_brain_age_model()
    if model is None:
        return None
    years = model.years(image)
    out = {"years": round(years, 1),
           "interval": [round(years - model.half_width, 1), round(years + model.half_width, 1)],
           "interval_level": model.level, "validation_mae": round(model.validation_mae, 1),
           "model": model.card.get("name", "brain-age-ridge"),
           "n_training": len(model.card.get("split", {}).get("train_subjects", [])),
           "training_population": model.card.get("training_population", "")}
    if age is not None:
        cor = model.corrected(years, age)
        gap = cor - age
        out.update(age=round(age, 1), corrected_years=round(cor, 1), gap=round(gap, 1),
                   validation_gap_mae=round(model.validation_gap_mae, 1),
                   meaning=gap_meaning(gap, model.validation_gap_mae))
    return out


def brain_age_sentence(info: dict, lang: str = "en") -> str:
    """'estimated brain age 67 (90 % interval 58-76)' and, with an age, the gap and its meaning."""
    lo, hi = info["interval"]
    lvl = round(100 * info["interval_level"])
    if lang == "zh":
        s = f"估计脑龄 {info['years']:.0f} 岁（{lvl}% 区间 {lo:.0f}-{hi:.0f}）"
        if "gap" in info:
            s += (f"；实际年龄 {info['age']:.0f} 岁，校正后脑龄 {info['corrected_years']:.0f} 岁，差距 {info['gap']:+.0f} 岁："
                  f"{info['meaning']['zh']}")
        return s
    s = f"estimated brain age {info['years']:.0f} ({lvl} % interval {lo:.0f}-{hi:.0f})"
    if "gap" in info:
        s += (f"; stated age {info['age']:.0f}, bias-corrected brain age {info['corrected_years']:.0f}, gap "
              f"{info['gap']:+.0f} years: {info['meaning']['en']}")
    return s


def brain_age_extras(image: np.ndarray, age: float | None, timings: dict) -> dict:
    """The result-JSON fields of brain age (`brain_age`, and `brain_age_sentence` in both languages); timings gets
    "brain_age". Empty when no brain-age model is installed."""
    import time
    t = time.perf_counter()
    info = brain_age_result(image, age)
    timings["brain_age"] = time.perf_counter() - t
    if info is None:
        return {}
    return {"brain_age": info, "brain_age_sentence": {lang: brain_age_sentence(info, lang) for lang in ("en", "zh")}}
