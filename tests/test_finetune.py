"""Fine-tuning from feedback (nets/feedback/finetune.py, nets/finetune.py): a tiny run changes the weights; the
refusal rule triggers when validation balanced accuracy drops by more than 1 point."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nets.feedback.finetune import default_decision, finetune_and_check
from nets.networks import SmallResNet2D
from nets.transforms.image_to_tensor import image_to_tensor

CONTRACT = {"mode": "L", "size": 16, "mean": [0.5], "std": [0.25]}
CLASSES = ["NORMAL", "PNEUMONIA"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _images(n, seed):
    """Class 0: dark images, class 1: bright ones (an easy task a tiny network learns in a few steps)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = np.where(y[:, None, None] == 1, rng.integers(150, 256, (n, 16, 16)), rng.integers(0, 100, (n, 16, 16)))
    return x.astype(np.uint8), y.astype(np.int64)


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    net = SmallResNet2D(1, 2, widths=(8, 16, 16, 16))
    x, y = _images(64, 0)
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    for _ in range(30):
        loss = F.cross_entropy(net(image_to_tensor(x, CONTRACT)), torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


def test_a_tiny_run_on_feedback_changes_the_weights(trained):
    fb, replay, val = _images(4, 1), _images(16, 2), _images(40, 3)
    r = finetune_and_check(trained, CLASSES, CONTRACT, "chest", fb, replay, val, epochs=1, lr=1e-3)
    assert r["before"]["validation"]["balanced_accuracy"] > 0.9  # the fixture learned the task
    old, new = trained.state_dict(), r["module"].state_dict()
    assert any(not torch.equal(old[k], new[k]) for k in old if old[k].dtype.is_floating_point)
    assert all(torch.equal(old[k], new[k]) for k in old if "running_" in k)  # BatchNorm statistics stay frozen
    assert r["training"]["n_train_images"] == 4 * 4 + 16 and r["after"]["feedback"]["n"] == 4
    assert set(r["decision"]) == {"may_be_default", "rule", "reason"}


def test_the_refusal_rule_triggers_when_validation_drops(trained):
    x, y = _images(32, 4)
    wrong = (x, 1 - y)  # every feedback label flipped: the fine-tuned model unlearns the task
    r = finetune_and_check(trained, CLASSES, CONTRACT, "chest", wrong, (x[:0], y[:0]), _images(40, 3), epochs=3,
                           lr=1e-2, feedback_weight=2)
    drop = r["before"]["validation"]["balanced_accuracy"] - r["after"]["validation"]["balanced_accuracy"]
    assert drop > 0.01
    assert r["decision"]["may_be_default"] is False and "NOT marked as the default" in r["decision"]["reason"]


def test_default_decision_boundary():
    assert default_decision({"balanced_accuracy": 0.80}, {"balanced_accuracy": 0.79})["may_be_default"]
    assert not default_decision({"balanced_accuracy": 0.80}, {"balanced_accuracy": 0.789})["may_be_default"]
    assert default_decision({"balanced_accuracy": 0.80}, {"balanced_accuracy": 0.85})["may_be_default"]


def test_feedback_examples_keep_the_latest_label_and_leave_out_validation_images(tmp_path):
    from nets.finetune import feedback_examples
    rows = []
    for sha, label, agrees in (("a", "NORMAL", True), ("a", "PNEUMONIA", False), ("b", "NORMAL", False)):
        p = tmp_path / sha
        p.write_bytes(sha.encode())
        rows.append({"sha256": sha, "label": label, "agrees": agrees, "path": str(p)})
    raws, labels, report = feedback_examples(rows, CLASSES, validation_sha={"b"})
    assert raws == [b"a"] and labels.tolist() == [1]
    assert report == {"lines": 3, "inputs": 2, "used": 1, "left_out_validation_images": 1, "corrections": 1}
