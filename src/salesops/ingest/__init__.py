"""Ingest: read files (CSV, XLSX, XLS, JSON lines), map, validate and upsert them; export.

Public API (used by the CLI, and later by the API and the web data page):

* :func:`import_file` — import one file into one entity, atomically; returns an
  :class:`ImportReport` (errors never raise);
* :func:`load_mapping` / :func:`parse_mapping` — read a column mapping (SPEC §5);
* :func:`export_entity` — write an entity as CSV or XLSX that :func:`import_file` reads back.
"""

from salesops.ingest.errors import RowError
from salesops.ingest.export import export_entity
from salesops.ingest.importer import ImportReport, import_file
from salesops.ingest.mapping import Mapping, MappingError, load_mapping, parse_mapping

__all__ = [
    "ImportReport",
    "Mapping",
    "MappingError",
    "RowError",
    "export_entity",
    "import_file",
    "load_mapping",
    "parse_mapping",
]
