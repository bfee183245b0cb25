"""Evaluation that is not tied to one training loop: the inputs the explanation checks run on (explanation_inputs.py)
and how their results are recorded in the model cards (explanation_card.py). The classification metrics still live
in nets/training/metrics.py and the MRI evaluation in nets/training/train_brain_model.py (to be split out once the
retraining work on those files has landed)."""
