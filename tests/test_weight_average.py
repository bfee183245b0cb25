"""Stochastic weight averaging for the 2D fine-tune (nets/training/weight_average.py)."""
import torch
from torch import nn

from nets.training.finetune_2d import lr_for
from nets.training.weight_average import WeightAverage


def _net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU())


def test_the_average_is_the_mean_of_the_added_weights_and_survives_a_checkpoint():
    a, b, c = _net(0), _net(1), _net(2)
    avg = WeightAverage()
    avg.add(a)
    avg = WeightAverage.from_checkpoint(avg.to_checkpoint())  # resumed between epochs
    avg.add(b)
    avg.add(c)
    assert avg.n == 3
    want = (a[0].weight + b[0].weight + c[0].weight) / 3
    assert torch.allclose(avg.state["0.weight"], want, atol=1e-6)
    assert "1.num_batches_tracked" not in avg.state  # integer buffers are not averaged


def test_apply_loads_the_average_and_recomputes_batchnorm_on_the_given_batches():
    net, avg = _net(0), WeightAverage()
    avg.add(_net(1))
    avg.add(_net(2))
    torch.manual_seed(5)
    batches = [torch.randn(4, 1, 8, 8) * 3 + 2 for _ in range(5)]
    avg.apply(net, batches)
    assert torch.allclose(net[0].weight, avg.state["0.weight"])
    with torch.no_grad():
        conv = torch.cat([net[0](x) for x in batches])
    assert torch.allclose(net[1].running_mean, conv.mean((0, 2, 3)), atol=1e-4)  # all batches, not the last few
    assert not net.training and net[1].momentum == 0.1
    net[1].momentum = 0.01  # a network's own momentum is given back, not reset to the default
    avg.apply(net, batches)
    assert net[1].momentum == 0.01


def test_learning_rate_is_cosine_before_the_average_and_constant_during_it():
    steps, lr = 100, 1e-3
    assert lr_for(0, 0, 6, steps, lr, swa_from=4, swa_lr=2e-4) < lr  # warm-up
    assert lr_for(5, 3, 6, steps, lr, swa_from=4, swa_lr=2e-4) == 2e-4  # epoch 4 (1-based) on: constant
    assert lr_for(99, 5, 6, steps, lr, swa_from=4, swa_lr=2e-4) == 2e-4
    assert lr_for(99, 2, 6, steps, lr, swa_from=4, swa_lr=2e-4) < 1e-5  # the cosine has ended before epoch 4
    assert lr_for(0, 0, 6, steps, lr, swa_from=1, swa_lr=2e-4) == 2e-4  # averaging from the start
    assert lr_for(30, 3, 6, steps, lr) == lr_for(30, 3, 6, steps, lr, swa_from=0)  # off: the old schedule


def test_the_card_says_no_epoch_was_chosen_for_an_averaged_candidate():
    from nets.training.adopt_2d import kept_and_hidden_squares
    hist = {"best": {"score": 0.6, "epoch": 3, "kept": "weight average", "epoch_kept": 12},
            "swa": {"from_epoch": 1, "lr": 3e-4, "epochs_averaged": 12}, "patch_blur": 0.3}
    out = kept_and_hidden_squares(hist)
    assert out["kept_epoch"] == 12
    assert "no epoch chosen" in out["selection"] and "epochs 1-12 (12 epochs)" in out["selection"]
    assert "constant learning rate 0.0003" in out["optimizer"]
    assert "hidden_squares" in out
    assert "selection" not in kept_and_hidden_squares({"best": {"epoch": 3}})  # a best-epoch run keeps the default


def test_a_fine_tune_at_another_input_size_changes_only_the_contracts_side():
    """--size trains the fully convolutional 2D network at another square side: the contract's size and its words
    change, its normalisation does not; no size keeps the config itself."""
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
    from nets.training.finetune_2d import with_input_size
    cfg = CONFIGS[DEFAULT_MODEL_FOR_TASK["skin"]]
    big = with_input_size(cfg, cfg.input.size + 32)
    assert big.input.size == cfg.input.size + 32 and f"{big.input.size}x{big.input.size}" in big.input.resize
    assert (big.input.mean, big.input.std, big.input.mode) == (cfg.input.mean, cfg.input.std, cfg.input.mode)
    assert CONFIGS[DEFAULT_MODEL_FOR_TASK["skin"]].input.size == cfg.input.size  # the registry's config untouched
    assert with_input_size(cfg, None) is cfg and with_input_size(cfg, cfg.input.size) is cfg


def test_adopting_a_candidate_trained_at_another_size_is_refused(tmp_path):
    """adopt_2d scores and serves at the config's side: a candidate trained at another one must not be judged there."""
    import json
    import pytest
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
    from nets.training.adopt_2d import check_input_size
    cfg = CONFIGS[DEFAULT_MODEL_FOR_TASK["skin"]]
    cand = tmp_path / "skin_big.pt"
    (tmp_path / "skin_big.history.json").write_text(json.dumps({"input_size": cfg.input.size + 32}))
    with pytest.raises(SystemExit, match="trained at"):
        check_input_size(cand, cfg)
    (tmp_path / "skin_big.history.json").write_text(json.dumps({"input_size": cfg.input.size}))
    check_input_size(cand, cfg)  # the same side, or an older history without one, passes
    (tmp_path / "skin_big.history.json").write_text(json.dumps({}))
    check_input_size(cand, cfg)
