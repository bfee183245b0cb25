"""LRP: BatchNorm folding is exact, relevance is conserved, and relevance lands where the model looks."""
import pytest
import torch
from torch import nn

from nets.interpret.bn_folding import fold_batchnorm
from nets.interpret.lrp import RULES, LRPExplainer
from nets.networks import BrainCNN3D

CONSERVATION_TOL = 0.05  # |sum(R) / logit - 1| for a bias-free network


def _small(shape=(16, 16, 16)):
    torch.manual_seed(0)
    return BrainCNN3D(num_classes=3, channels=(4, 8), input_shape=shape).eval()


def test_bn_folding_preserves_outputs():
    m = _small()
    for bn in m.modules():
        if isinstance(bn, nn.BatchNorm3d):
            bn.running_mean.uniform_(-0.5, 0.5); bn.running_var.uniform_(0.5, 2)
            bn.weight.data.uniform_(0.5, 1.5); bn.bias.data.uniform_(-0.2, 0.2)
    x = torch.rand(2, 1, 16, 16, 16)
    f = fold_batchnorm(m)
    assert not any(isinstance(b, nn.BatchNorm3d) for b in f.modules())
    assert torch.allclose(m(x), f(x), atol=1e-5)


@pytest.mark.parametrize("rule", RULES)
def test_relevance_conservation_bias_free(rule):
    m = _small()
    m.classifier.bias.data.zero_()
    x = torch.rand(1, 1, 16, 16, 16)
    rel, logits, ratio = LRPExplainer(m, rule=rule).explain(x, 1)
    assert rel.shape == x.shape
    assert abs(ratio - 1) < CONSERVATION_TOL, ratio


class FlattenNet(nn.Module):
    """conv -> BN -> ReLU -> pool -> flatten -> linear: the head can be wired to one location."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(1, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm3d(4)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool3d(4)
        self.fc = nn.Linear(4 * 4 * 4 * 4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.relu(self.bn(self.conv(x)))), 1))


@pytest.mark.parametrize("rule", RULES)
def test_relevance_concentrates_where_the_model_looks(rule):
    torch.manual_seed(0)
    m = FlattenNet().eval()
    with torch.no_grad():
        m.conv.weight.abs_()
        m.fc.bias.zero_()
        w = torch.zeros(2, 4, 4, 4, 4)
        w[0, :, 0, 0, 0] = 1.0  # class 0 only reads the first corner cell (input voxels 0..3)
        m.fc.weight.copy_(w.view(2, -1))
    x = torch.rand(1, 1, 16, 16, 16)
    rel, _, ratio = LRPExplainer(m, rule=rule).explain(x, 0)
    r = rel[0, 0].abs()
    inside = r[:5, :5, :5].sum() / r.sum()  # receptive field of that cell: 125 of 4096 voxels
    assert inside > 0.95, float(inside)


def test_explainer_is_reusable():
    m = _small()
    e = LRPExplainer(m)
    x = torch.rand(1, 1, 16, 16, 16)
    a, _, _ = e.explain(x, 0)
    b, _, _ = e.explain(x, 0)
    assert torch.allclose(a, b)


def test_epsilon_plus_differs_from_epsilon_and_unknown_rules_are_refused():
    """z+ on convolutions passes only positive contributions down: on a network with mixed-sign weights the two
    rules give different maps (a rule setting that silently did nothing would give the same)."""
    m = _small()
    x = torch.rand(1, 1, 16, 16, 16)
    a, _, _ = LRPExplainer(m, rule="epsilon-plus").explain(x, 1)
    b, _, _ = LRPExplainer(m, rule="epsilon").explain(x, 1)
    assert not torch.allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError):
        LRPExplainer(m, rule="gamma")


def test_linear_rules_match_the_formula_by_hand():
    """One linear layer: z+ gives R_i = x_i w+_i / (sum_j x_j w+_j + b) * z (here z is the real logit), epsilon
    gives R_i = x_i w_i / (z + eps) * z."""
    from nets.interpret.lrp_rules import EpsilonRule, ZPlusRule, relevance
    lin = nn.Linear(4, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, 1.0, 1.0]]))
        lin.bias.copy_(torch.tensor([0.25, 0.0]))
    x = torch.tensor([[1.0, 0.5, 2.0, -1.0]])
    z = float(lin(x)[0, 0])  # 1 - 1 + 1 - 3 + 0.25 = -1.75
    w = lin.weight[0]
    rel, logits = relevance(lin, x, 0, lambda m: EpsilonRule(1e-9) if m is lin else None)
    assert torch.allclose(rel[0], x[0] * w / z * z, atol=1e-6) and float(logits[0, 0]) == pytest.approx(z)
    zp = float((x[0] * w.clamp(min=0)).sum() + 0.25)  # 1 + 1 - 3 + 0.25 = -0.75
    rel, _ = relevance(lin, x, 0, lambda m: ZPlusRule() if m is lin else None)
    assert torch.allclose(rel[0], x[0] * w.clamp(min=0) / zp * z, atol=1e-6)


def test_a_weighted_layer_without_a_rule_is_refused():
    from nets.interpret.lrp_rules import EpsilonRule, relevance
    m = nn.Sequential(nn.Linear(3, 3), nn.LayerNorm(3), nn.Linear(3, 2))
    with pytest.raises(TypeError, match="LayerNorm"):
        relevance(m, torch.rand(1, 3), 0, lambda mod: EpsilonRule() if isinstance(mod, nn.Linear) else None)
    assert not m[0]._forward_hooks  # hooks are removed on the way out


def _captum_lrp(model, x, rule, target):
    """captum's LRP with the rules the own LRP uses (z+ = captum's Alpha1_Beta0, epsilon 1e-6 elsewhere)."""
    from captum.attr import LRP
    from captum.attr._core import lrp as captum_lrp
    from captum.attr._utils.lrp_rules import Alpha1_Beta0_Rule, EpsilonRule
    from nets.interpret.residual_canonizer import StackSum, canonize_residuals

    ref = canonize_residuals(fold_batchnorm(model))
    if nn.Identity not in captum_lrp.SUPPORTED_NON_LINEAR_LAYERS:
        captum_lrp.SUPPORTED_NON_LINEAR_LAYERS.append(nn.Identity)
    for m in ref.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)) and rule == "epsilon-plus":
            m.rule = Alpha1_Beta0_Rule()
        elif isinstance(m, (nn.Conv2d, nn.Conv3d, nn.Linear, nn.MaxPool3d, nn.AdaptiveAvgPool2d, StackSum)):
            m.rule = EpsilonRule(epsilon=1e-6)
    return LRP(ref).attribute(x.clone().requires_grad_(True), target=target).detach()


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("net", ["brain3d", "resnet2d"])
def test_maps_equal_captums_lrp_with_the_same_rules(rule, net):
    """The plain-torch LRP replaced captum's; with the same rules the maps agree to float rounding."""
    pytest.importorskip("captum")
    from nets.networks.small_resnet2d import SmallResNet2D
    torch.manual_seed(1)
    if net == "brain3d":
        model, x = BrainCNN3D(num_classes=3, channels=(4, 8), input_shape=(16, 16, 16), stem="blur").eval(), \
            torch.rand(1, 1, 16, 16, 16)
    else:
        model, x = SmallResNet2D(in_channels=3, num_classes=4, widths=(4, 8, 8, 8)).eval(), torch.rand(1, 3, 32, 32)
    for bn in model.modules():
        if isinstance(bn, (nn.BatchNorm2d, nn.BatchNorm3d)):
            bn.running_mean.uniform_(-0.3, 0.3); bn.bias.data.uniform_(-0.2, 0.2)
    ours, logits, _ = LRPExplainer(model, rule=rule).explain(x, 1)
    theirs = _captum_lrp(model, x, rule, 1)
    assert torch.allclose(logits, model(x).detach(), atol=1e-5)
    # float32 rounding: the epsilon rule divides by pre-activations near zero, which magnifies the CPU kernels'
    # order of summation (1.1e-5 of the largest value on one machine, < 1e-5 on others); a wrong rule differs by O(1)
    assert float((ours - theirs).abs().max()) <= 1e-4 * float(theirs.abs().max())


@pytest.mark.parametrize("task", ["mri", "chest", "skin"])
def test_shipped_models_maps_equal_captums(task):
    """The committed default models (README: max difference ~3e-7 of the map's peak)."""
    pytest.importorskip("captum")
    from nets.registry import ModelRegistry
    loaded = ModelRegistry().get(task=task)
    if not loaded.trained:
        pytest.skip(f"no trained {task} model")
    inp = loaded.config.input
    torch.manual_seed(0)
    x = torch.rand(inp.shape if inp.is_volume else (1, 1 if inp.mode == "L" else 3, inp.size, inp.size))
    ours, _, _ = LRPExplainer(loaded.module).explain(x, 1)
    theirs = _captum_lrp(loaded.module, x, "epsilon-plus", 1)
    assert float((ours - theirs).abs().max()) <= 1e-5 * float(theirs.abs().max())


def test_the_explainer_does_not_import_captum():
    import subprocess
    import sys
    code = "import sys, nets.interpret.lrp; print('captum' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
