"""Reading model cards (data/model_save/<name>.card.json, written next to the weights by the training code): where a
card lives, the weights' sha256, the card's JSON. Serving (nets/registry.py) and training (nets/training/model_card.py
writes cards) both use this module; serving never imports nets/training/."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def card_path_for(weights_path) -> Path:
    p = Path(weights_path)
    return p.with_name(p.stem + ".card.json")


def read_card(weights_path) -> dict:
    """The card next to these weights, {} when there is none."""
    p = card_path_for(weights_path)
    return json.loads(p.read_text()) if p.exists() else {}
