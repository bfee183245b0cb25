"""The faithfulness check of one map (nets/interpret/faithfulness.py) in plain words, English and Chinese: the page
and the PDF report say the same sentence."""
from __future__ import annotations

from nets.report.texts import lookup

TEXT = {
    "faith": {"en": "Check: hiding the 10 % of {unit} that this map ranks highest changes the model's raw "
                    "P({c}) (before calibration) from {p0:.2f} to {p10:.2f}; hiding a random 10 %: to "
                    "{pr:.2f}. Over the whole deletion curve, {verdict} (area {d:.2f} for this map vs {r:.2f} "
                    "for random order; lower is better).",
              "zh": "检验：遮住{unit}中此图排名最高的 10%，模型未校准的 P({c}) 从 {p0:.2f} 变为 {p10:.2f}；随机遮住 10%："
                    "变为 {pr:.2f}。在整条删除曲线上，{verdict}（此图面积 {d:.2f}，随机顺序 {r:.2f}；越低越好）。"},
    "faith_inconclusive": {
        "en": "Check not possible for this input: with all of {unit} hidden, the model's raw P({c}) (before "
              "calibration) still moves only from {p0:.2f} to {pb:.2f}, so hiding parts in the map's order or at "
              "random changes it alike. The model does not need the detail the map points at to say {c}; this "
              "neither confirms nor refutes the map.",
        "zh": "此输入无法做此项检验：即使遮住{unit}的全部，模型未校准的 P({c}) 也只从 {p0:.2f} 变为 {pb:.2f}，因此按此图的顺序"
              "或随机遮挡的效果相同。模型判断为 {c} 并不依赖此图所指的细节；这既不能证实也不能否定此图。"},
    "better": {"en": "the map's ranking matters more than random: it points at what the model uses",
               "zh": "此图的排序比随机更重要：它指向模型实际使用的部分"},
    "worse": {"en": "the map's ranking is NOT better than random: read this map with caution",
              "zh": "此图的排序并不比随机好：请谨慎看待此图"},
    "unclear": {"en": "the map's ranking is about as good as random order here (the two areas differ by less than "
                      "two random orders usually do): this input does not show that the map points at what the "
                      "model uses",
                "zh": "此处此图的排序与随机顺序效果相近（两者面积之差小于两次随机顺序之间的通常差异）：此输入无法表明此图指向模型"
                      "实际使用的部分"},
    "pixels": {"en": "the image (in 8 x 8 pixel squares, replaced by a blurred copy)",
               "zh": "图像（以 8 x 8 像素方块为单位，换成模糊后的图像）"},
    "voxels": {"en": "the brain (in 8 mm cubes, replaced by a healthy template brain)",
               "zh": "脑（以 8 mm 立方块为单位，换成健康模板脑）"},
}


def faithfulness_sentence(f: dict, target: str, is_volume: bool, lang: str) -> tuple:
    """(verdict, sentence): verdict "better" / "not_better" / "no_clear_difference" / "inconclusive"
    (f["verdict"])."""
    unit = lookup(TEXT, "voxels" if is_volume else "pixels", lang)
    if f["verdict"] == "inconclusive":
        return "inconclusive", lookup(TEXT, "faith_inconclusive", lang, unit=unit, c=target, p0=f["p_original"],
                                      pb=f["p_baseline"])
    words = {"better": "better", "not_better": "worse", "no_clear_difference": "unclear"}[f["verdict"]]
    return f["verdict"], lookup(TEXT, "faith", lang, unit=unit, c=target, p0=f["p_original"],
                                p10=f["p_deleted_10pct"], pr=f["p_random_10pct"], d=f["deletion_auc"],
                                r=f["random_deletion_auc"], verdict=lookup(TEXT, words, lang))
