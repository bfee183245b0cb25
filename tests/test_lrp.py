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
