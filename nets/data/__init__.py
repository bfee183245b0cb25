"""Dataset readers for training and evaluation (read from ../shared/data or any class-per-folder tree)."""
