"""Rendering with matplotlib's object API only (no pyplot global state), so concurrent requests never mix."""
