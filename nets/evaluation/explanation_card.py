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
        if card is not loaded.card:
            cp.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    return str(cp)
