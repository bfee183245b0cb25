"""Write the JSON model card next to the weights: config + data + split + metrics + date + sha256. Reading cards
(and the two helpers below) lives in nets/model_card.py, which serving uses too."""
import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path

from nets.model_card import card_path_for, read_card, sha256_file  # noqa: F401 (re-exported)


def write_card(config, weights_path, metrics, split, training, extra=None) -> Path:
    card = config.to_json() if hasattr(config, "to_json") else asdict(config)
    card.update({
        "weights_file": Path(weights_path).name,
        "sha256": sha256_file(weights_path),
        "size_bytes": Path(weights_path).stat().st_size,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
        "split": split,
        "training": training,
        "metrics": metrics,
        "trained": True,
    })
    if extra:
        card.update(extra)
    path = card_path_for(weights_path)
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    return path
