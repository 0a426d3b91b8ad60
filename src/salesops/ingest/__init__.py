"""Ingest: readers (CSV, XLSX, XLS, JSON lines) -> mapping -> validation -> loader.

The loader is the only writer of facts; it keeps the derived structures of ``db.derived`` exact.
"""
