"""Words for what the person's age did to an MRI stage answer (nets/networks/age_reference.py): the sentence under
the brain age (page, PDF) and the warning when no age was given."""
from __future__ import annotations


def age_reference_sentence(info: dict) -> dict:
    """What the stated age did to the stage answer, for the page and the PDF (en, zh)."""
    a, add, q, h = info["age"], info["cn_log_odds_added"], info["cn_prior"], info["hinge_years"]
    if add > 0:
        en = (f"Stage graded for age {a:g}: healthy brains over {h:g} look more atrophied, so the model's CN evidence "
              f"was raised by {add:.1f} log-odds (the trend of the training subjects' healthy brains); CN prior {q:.2f}.")
        zh = (f"已按 {a:g} 岁评估分期：{h:g} 岁以上的健康大脑看起来萎缩更多，因此模型的 CN 证据提高了 {add:.1f}"
              f"（对数几率，按训练对象健康大脑的趋势）；CN 先验 {q:.2f}。")
    else:
        en = f"Stage graded for age {a:g}: under {h:g} no age correction is needed; CN prior {q:.2f}."
        zh = f"已按 {a:g} 岁评估分期：{h:g} 岁以下无需年龄校正；CN 先验 {q:.2f}。"
    return {"en": en, "zh": zh}


OLDER_LOOKING_YEARS = 55.0


def unstated_age_warning(card: dict, age: float | None, brain_age: dict | None, top: int) -> str | None:
    """Without a stated age, a non-CN answer for a brain that looks 55 or older may be healthy ageing: say so and
    ask for the age (the card's age reference then grades atrophy against healthy people of that age)."""
    if age is not None or top == 0 or not card.get("age_reference") or not brain_age:
        return None
    if brain_age.get("years", 0) < OLDER_LOOKING_YEARS:
        return None
    return (f"No age was given and this brain looks about {brain_age['years']:.0f}: healthy brains of that age often "
            "read as mild impairment here. Enter the person's age to grade atrophy against healthy people of that "
            "age.")
