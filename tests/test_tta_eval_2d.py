"""nets/training/tta_eval_2d.py: the eight views are the eight symmetries of the square, and each view set's
figures come from the mean of its own views' logits."""
import numpy as np
import torch

from nets.training.tta_eval_2d import VIEWS, tta_report


def test_the_eight_views_are_distinct_symmetries():
    x = torch.arange(9.).reshape(1, 1, 3, 3)
    seen = {tuple(f(x).flatten().tolist()) for f in VIEWS["dihedral8"]}
    assert len(seen) == 8 and all(sorted(s) == list(range(9)) for s in seen)
    assert [len(v) for v in VIEWS.values()] == [1, 2, 4, 8]


def test_each_view_set_averages_only_its_own_views():
    labels = np.array([0, 1, 0, 1])
    right = np.where(labels[:, None] == np.arange(2), 2.0, -2.0)  # logits that pick the true class
    logits = np.stack([right] + [-3 * right] * 7)  # the first view right, every other view wrong and louder
    rep = tta_report(labels, logits, ["a", "b"])
    assert rep["none"]["balanced_accuracy"] == 1.0
    assert rep["hflip"]["balanced_accuracy"] == 0.0 and rep["dihedral8"]["balanced_accuracy"] == 0.0


def test_logits_per_view_runs_the_model_on_each_transformed_image():
    from nets.networks import SmallResNet2D
    from nets.training.tta_eval_2d import logits_per_view
    torch.manual_seed(0)
    model = SmallResNet2D(in_channels=3, num_classes=3, widths=(4, 4, 4, 4)).eval()
    contract = {"mode": "RGB", "size": 16, "mean": [0.5] * 3, "std": [0.25] * 3}
    images = np.random.default_rng(0).integers(0, 255, (5, 16, 16, 3), dtype=np.uint8)
    z = logits_per_view(model, images, contract)
    assert z.shape == (8, 5, 3)
    from nets.onnx_export import logits_of
    with torch.no_grad():
        assert np.allclose(z[0], logits_of(model, images, contract), atol=1e-5)
        assert np.allclose(z[1], logits_of(model, images, contract, flip=True), atol=1e-5)
    assert not np.allclose(z[0], z[5], atol=1e-3)  # a turned image gives other logits: the views are really applied


def test_the_cli_answers_a_missing_weights_file_with_json(capsys):
    import json
    from nets.cli_contract import run_cli
    from nets.training.tta_eval_2d import main
    assert run_cli(main, ["skin", "--weights", "/no/such/weights.pt"]) == 2
    assert json.loads(capsys.readouterr().err)["error"]
