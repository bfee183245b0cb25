"""The class-prior shift (operating point) of a model: Bayes' rule on tiny inputs, the registry applying the prior its
card declares, and the `nets.calibrate` CLI setting and removing it."""
import json
from dataclasses import asdict

import numpy as np
import pytest
import torch

from nets.errors import InputError
from nets.model_configs import CONFIGS
from nets.networks import BrainCNN3D, ClassificationModel3D
from nets.networks.prior_shift import apply_prior_shift, card_offsets, logit_offsets, parse_prior
from nets.registry import ModelRegistry
from nets.training.model_card import sha256_file

CLASSES = ["CN", "EMCI", "MCI", "LMCI", "AD"]


def test_parse_prior_shares_the_rest_equally_and_rejects_nonsense():
    p = parse_prior("CN=2/3", CLASSES)
    assert p["CN"] == pytest.approx(2 / 3) and p["AD"] == pytest.approx(1 / 12) and sum(p.values()) == pytest.approx(1)
    p = parse_prior("CN=0.5, AD=0.2", CLASSES)
    assert p["AD"] == pytest.approx(0.2) and p["EMCI"] == pytest.approx(0.1)
    assert parse_prior("uniform", CLASSES) == {c: 0.2 for c in CLASSES}
    for bad in ("XX=0.5", "CN=1", "CN=0", "CN=0.7,AD=0.4", "CN=abc", "CN=1/0"):
        with pytest.raises(ValueError):
            parse_prior(bad, CLASSES)


def test_shifted_network_answers_with_bayes_rule_under_the_new_prior():
    torch.manual_seed(0)
    net = BrainCNN3D(num_classes=5, channels=(4, 8), input_shape=(16, 16, 16)).eval()
    x = torch.rand(3, 1, 16, 16, 16)
    with torch.no_grad():
        before = torch.softmax(net(x), 1).numpy()
        prior = parse_prior("CN=2/3", CLASSES)
        off = logit_offsets(CLASSES, prior)
        assert off[0] - off[1] == pytest.approx(np.log(8))
        apply_prior_shift(net, off)
        after = torch.softmax(net(x), 1).numpy()
    bayes = before * np.array([prior[c] for c in CLASSES]) / 0.2
    bayes /= bayes.sum(1, keepdims=True)
    assert np.allclose(after, bayes, atol=1e-5)
    assert (after[:, 0] > before[:, 0]).all()
    with pytest.raises(ValueError):
        apply_prior_shift(net, [1.0, 2.0])


def _weights_with_card(tmp_path, decision_prior=None):
    cfg = CONFIGS["brain-atrophy-3dcnn"]
    kw = {**cfg.arch_kwargs, "stem": "blur"}
    torch.manual_seed(2)
    net = BrainCNN3D(**kw).eval()
    w = tmp_path / "m.pt"
    torch.save(net.state_dict(), w)
    card = {**asdict(cfg), "arch_kwargs": kw, "trained": True, "sha256": sha256_file(w)}
    if decision_prior:
        card["decision_prior"] = decision_prior
    (tmp_path / "m.card.json").write_text(json.dumps(card))
    return net, w


def test_calibrate_cli_writes_the_prior_into_the_weights_and_takes_it_out_again(tmp_path, capsys):
    """The offsets go into the file's output bias (anyone loading the file gets the operating point); the card keeps
    the prior, the new sha256 and the training file's sha256; 'uniform' restores the trained outputs."""
    from nets.calibrate import main
    net, w = _weights_with_card(tmp_path)
    trained_digest = sha256_file(w)
    x = torch.rand(1, 1, 80, 96, 80)
    with torch.no_grad():
        raw = net(x)

    def outputs():
        fresh = BrainCNN3D(**{**CONFIGS["brain-atrophy-3dcnn"].arch_kwargs, "stem": "blur"}).eval()
        fresh.load_state_dict(torch.load(w, weights_only=True))
        with torch.no_grad():
            return fresh(x)

    assert main(["mri", "--weights", str(w), "--class-prior", "CN=0.5"]) == 0
    capsys.readouterr()
    assert main(["mri", "--weights", str(w), "--class-prior", "CN=2/3", "--why", "test"]) == 0  # replaces, not adds
    out = json.loads(capsys.readouterr().out)
    card = json.loads((tmp_path / "m.card.json").read_text())
    dp = card["decision_prior"]
    assert out["decision_prior"] == dp and dp["why"] == "test" and dp["prior"]["CN"] == pytest.approx(2 / 3)
    assert dp["training_weights_sha256"] == trained_digest != card["sha256"] == sha256_file(w)
    offsets = torch.tensor(logit_offsets(CLASSES, dp["prior"]), dtype=torch.float32)
    assert torch.allclose(outputs() - raw, offsets, atol=1e-4)
    m = ModelRegistry().get("brain-atrophy-3dcnn", weights=str(w))  # the registry serves the file as it is
    with torch.no_grad():
        assert torch.allclose(m.module(x), raw + offsets, atol=1e-4)
    assert m.summary()["decision_prior"] == dp["prior"]
    assert card_offsets(card, CLASSES) == pytest.approx(offsets.numpy(), abs=1e-6) and card_offsets({}, CLASSES) is None
    assert main(["mri", "--weights", str(w), "--class-prior", "uniform"]) == 0
    card = json.loads((tmp_path / "m.card.json").read_text())
    assert "decision_prior" not in card and card["sha256"] == sha256_file(w)
    assert torch.allclose(outputs(), raw, atol=1e-5)
    with pytest.raises(InputError, match="unknown class"):  # typed: the CLI contract prints it as one JSON line
        main(["mri", "--weights", str(w), "--class-prior", "XX=0.5"])
    torch.save(ClassificationModel3D().state_dict(), tmp_path / "adni.pth")
    with pytest.raises(InputError, match="known training prior"):
        main(["mri", "--model", "adni-seed-3dcnn", "--weights", str(tmp_path / "adni.pth"), "--class-prior", "CN=2/3"])
