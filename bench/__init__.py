"""Benchmarks that print figures (docs/benchmarks.md); never part of the pass/fail test run."""
