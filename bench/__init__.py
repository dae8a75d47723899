"""Benchmarks: each prints a table and one JSON line, with figures as ratios to a baseline
measured in the same run (these machines are shared and noisy)."""
