"""Moodshelf training pipeline (cross-dataset label alignment, zero-shot music emotion heads, model packs)."""

__version__ = "0.1.0"
