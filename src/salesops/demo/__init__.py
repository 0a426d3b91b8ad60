"""Deterministic demo data: a plausible Chinese B2B company, vectorised for large scales."""
