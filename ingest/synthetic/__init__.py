"""Synthetic but realistic data for the demo, tests and benchmarks."""
