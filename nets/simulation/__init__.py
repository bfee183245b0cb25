"""Simulated atrophy with known ground truth, on the engine grid (training data for the default MRI model)."""
