"""Write the JSON model card next to the weights: config + data + split + metrics + date + sha256."""
import datetime as dt
import hashlib
import json
from dataclasses import asdict
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


def write_card(config, weights_path, metrics, split, training, extra=None) -> Path:
    card = asdict(config)
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
