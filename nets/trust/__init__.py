"""Knowing when not to answer: input gates (is this like the training data?), calibrated probabilities
(temperature scaling), uncertainty in words. Fitted by `python -m nets.fit_trust {chest,skin,mri}`; the fitted
statistics live next to the weights (data/model_save/<model>.gate.npz) and in the model card."""
