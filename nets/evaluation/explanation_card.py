"""Write explanation checks into a model card (next to the weights) without touching the weights or their sha256."""
import datetime
import json
import shlex
import sys

from nets.model_card import card_path_for


def record(loaded, keys: tuple, value: dict, module: str) -> str:
    """card[keys[0]][keys[1]]... = value + the exact command and date; returns the card path."""
    cp = card_path_for(loaded.weights_path)
    value = {**value, "command": f"python -m {module} " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
             "date": datetime.date.today().isoformat()}
    for card in (json.loads(cp.read_text()), loaded.card):
        node = card
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
        if keys[0] in card.get("superseded_by_retraining", []):  # measured again on these weights
            card["superseded_by_retraining"].remove(keys[0])
            if not card["superseded_by_retraining"]:
                del card["superseded_by_retraining"]
        if isinstance(card.get(keys[0]), dict):
            card[keys[0]].pop("stale", None)
        if card is not loaded.card:
            cp.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    return str(cp)
