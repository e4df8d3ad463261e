"""Benchmarks run by scripts/bench, not by the test suite."""
