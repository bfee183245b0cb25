"""The typed model card (nets/model_configs.py): the input contract serialises to the keys the JSON cards on disk
have always had (other tools rewrite those cards), and code reads the card's fields instead of testing names."""
import json

from nets import PROJECT_ROOT
from nets.model_card import card_path_for
from nets.model_configs import CONFIGS


def test_the_contract_keeps_the_cards_keys_and_values():
    checked = 0
    for name, cfg in CONFIGS.items():
        card_file = card_path_for(PROJECT_ROOT / cfg.weights)
        if not card_file.exists():
            continue
        on_disk = json.loads(card_file.read_text())["input"]
        assert cfg.to_json()["input"] == on_disk, name
        checked += 1
    assert checked >= 3  # the three committed models have cards


def test_card_fields_replace_name_tests():
    chest, adni, brain = CONFIGS["chest-xray-resnet"], CONFIGS["adni-seed-3dcnn"], CONFIGS["brain-atrophy-3dcnn"]
    assert chest.positive_class == "PNEUMONIA" and CONFIGS["skin-isic-resnet"].positive_class is None
    assert chest.explainer_layers["grad-cam"] == "features"
    assert adni.external_weights and not brain.external_weights
    assert adni.input.voxel_shape == (160, 256, 256) and brain.input.is_volume and not chest.input.is_volume
    assert chest.input["size"] == chest.input.size == 160  # dict-style reading still works
