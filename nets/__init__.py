"""Core engine: loading, preprocessing, models, inference, explanations, training. No GUI imports here."""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = (PROJECT_ROOT.parent / "shared" / "data").resolve()
