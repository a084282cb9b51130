"""Neutral, pure helpers that both ``charts`` and ``pipes`` may import.

This package imports neither app (tests/test_boundaries.py enforces it), nor Django: what lives
here is plain Python that either side of the wall can share.
"""
