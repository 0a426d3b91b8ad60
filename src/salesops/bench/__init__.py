"""Benchmarks behind ``salesops bench``."""
