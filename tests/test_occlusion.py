"""Occlusion sensitivity on a toy 3D model whose CN logit falls with the signal in one known region."""
import numpy as np
import torch

from nets.interpret.occlusion import OcclusionSensitivity, cn_log_odds


class RegionModel(torch.nn.Module):
    def forward(self, x):
        region = x[:, 0, 20:26, 8:14, 30:36].mean((1, 2, 3))
        return torch.stack([-4 * region, torch.zeros_like(region)], 1)


def test_the_cube_that_covers_the_region_gains_most_and_others_gain_nothing():
    x = np.zeros((48, 32, 48), np.float32)
    x[20:26, 8:14, 30:36] = 1.0  # "atrophy" only there
    occ = OcclusionSensitivity(RegionModel(), window=12, stride=6)
    base, changes = occ(x, np.zeros_like(x), cn_log_odds)
    assert base == -4.0
    gain, (i, j, k) = changes[0]
    assert gain == 4.0 and i <= 20 and i + 12 >= 26 and j <= 8 and j + 12 >= 14 and k <= 30 and k + 12 >= 36
    far = [g for g, (a, b, c) in changes if a + 12 <= 20 or a >= 26 or b + 12 <= 8 or c + 12 <= 30 or c >= 36]
    assert far and max(far) == 0.0
    assert len(changes) == len(occ.corners(x.shape))


def test_class_log_odds_of_any_class_and_progress_reaches_the_end():
    from nets.interpret.occlusion import class_log_odds
    logits = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    p = torch.softmax(logits, 1).numpy()
    for k in range(3):
        assert np.allclose(class_log_odds(k)(logits), np.log(p[:, k] / (1 - p[:, k])), atol=1e-5)
    assert np.allclose(cn_log_odds(logits), class_log_odds(0)(logits))
    seen = []
    x = np.zeros((48, 32, 48), np.float32)
    OcclusionSensitivity(RegionModel(), window=12, stride=6, batch=4)(x, x, cn_log_odds, seen.append)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_occlusion_map_peaks_on_the_region_and_is_zero_where_nothing_changes():
    from nets.interpret.occlusion import occlusion_map
    x = np.zeros((48, 32, 48), np.float32)
    x[20:26, 8:14, 30:36] = 1.0
    occ = OcclusionSensitivity(RegionModel(), window=12, stride=6)
    _, changes = occ(x, np.zeros_like(x), cn_log_odds)
    m = occlusion_map(changes, x.shape, occ.window)
    assert m.max() > 0 and m[20:26, 8:14, 30:36].max() == m.max()  # (at stride resolution: ties nearby)
    assert m[:6, :, :].max() == 0 and m.min() >= 0
