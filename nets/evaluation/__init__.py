"""Evaluation of trained brain models on held-out real brains: unmodified, atrophied, shifted, re-acquired."""
