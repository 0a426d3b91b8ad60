"""Integration: other systems push data in (files and webhook records), the board pulls from
their databases, and saved sources run on a schedule or watch a folder.

Every path here goes through :mod:`salesops.ingest` — atomic, idempotent, with errors that name
the file, row, column and value:

* :mod:`~salesops.integrate.push` — a file pushed to ``POST /api/v1/import/{entity}``;
* :mod:`~salesops.integrate.webhook` — records pushed to ``POST /api/v1/records/{entity}``;
* :mod:`~salesops.integrate.sql` — ``salesops import ENTITY --from-sql URL --query ...``;
* :mod:`~salesops.integrate.sources` — saved sources, their runs and the scheduler job;
* :mod:`~salesops.integrate.folders` — watched folders.
"""
