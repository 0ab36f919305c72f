"""Synthetic data for demos and benchmarks: realistic people, habits and history."""
