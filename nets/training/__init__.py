"""Training and evaluation: splits, metrics, loops, plots, model cards."""
