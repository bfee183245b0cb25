"""Serving-side helpers of models that are not stage classifiers (brain age)."""
