"""Feedback from users that can become a fine-tuning set (nets/feedback/store.py)."""
