"""Evaluation, apart from any training loop: held-out real brains (unmodified, atrophied, shifted, re-acquired:
real_brains.py, brain_stage.py), the CN operating point (cn_operating_point.py), the inputs the explanation checks run
on (explanation_inputs.py) and how their results are recorded in the model cards (explanation_card.py)."""
