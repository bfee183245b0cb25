"""AAL atlas region names in Chinese (the usual Chinese names of the AAL-116 regions); unknown names stay as they are."""
from __future__ import annotations

import re

AAL_ZH = {
    "Precentral": "中央前回", "Frontal_Sup": "额上回", "Frontal_Sup_Orb": "眶部额上回", "Frontal_Mid": "额中回",
    "Frontal_Mid_Orb": "眶部额中回", "Frontal_Inf_Oper": "岛盖部额下回", "Frontal_Inf_Tri": "三角部额下回",
    "Frontal_Inf_Orb": "眶部额下回", "Rolandic_Oper": "中央沟盖", "Supp_Motor_Area": "补充运动区",
    "Olfactory": "嗅皮质", "Frontal_Sup_Medial": "内侧额上回", "Frontal_Med_Orb": "眶内额上回", "Rectus": "直回",
    "Insula": "岛叶", "Cingulum_Ant": "前扣带回", "Cingulum_Mid": "中扣带回", "Cingulum_Post": "后扣带回",
    "Hippocampus": "海马", "ParaHippocampal": "海马旁回", "Amygdala": "杏仁核", "Calcarine": "距状裂周围皮层",
    "Cuneus": "楔叶", "Lingual": "舌回", "Occipital_Sup": "枕上回", "Occipital_Mid": "枕中回",
    "Occipital_Inf": "枕下回", "Fusiform": "梭状回", "Postcentral": "中央后回", "Parietal_Sup": "顶上回",
    "Parietal_Inf": "顶下回", "SupraMarginal": "缘上回", "Angular": "角回", "Precuneus": "楔前叶",
    "Paracentral_Lobule": "中央旁小叶", "Caudate": "尾状核", "Putamen": "壳核", "Pallidum": "苍白球",
    "Thalamus": "丘脑", "Heschl": "颞横回", "Temporal_Sup": "颞上回", "Temporal_Pole_Sup": "颞上回颞极",
    "Temporal_Mid": "颞中回", "Temporal_Pole_Mid": "颞中回颞极", "Temporal_Inf": "颞下回",
}
SIDE = {"L": "左", "R": "右"}
OUTSIDE_EN = "outside atlas regions (white matter, CSF, other)"
OUTSIDE_ZH = "图谱区域之外（白质、脑脊液等）"


def region_name(name: str, lang: str) -> str:
    """'Hippocampus_L' -> '左海马' (zh); cerebellum and vermis parts keep their numbers."""
    if lang != "zh":
        return name
    if name == OUTSIDE_EN:
        return OUTSIDE_ZH
    base, side = (name[:-2], SIDE[name[-1]]) if re.search(r"_[LR]$", name) else (name, "")
    if base in AAL_ZH:
        return side + AAL_ZH[base]
    m = re.match(r"(Cerebelum|Vermis)_(.+)$", base)
    if m:
        part = m.group(2).replace("Crus", "脚").replace("_", "-")
        return f"{side}{'小脑' if m.group(1) == 'Cerebelum' else '小脑蚓部'} {part} 区"
    return name
