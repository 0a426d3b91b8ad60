"""Ingest: read files (CSV, XLSX, XLS, JSON lines), map, validate and upsert them; export.

Public API (used by the CLI, and later by the API and the web data page):

* :func:`import_file` — import one file into one entity, atomically; returns an
  :class:`ImportReport` (errors never raise);
* :func:`import_sheet` — import several entities from one file (a sheet mapping), atomically;
  returns a :class:`SheetReport`;
* :func:`quality_report` — the data-quality checks (after every import, ``salesops check``);
* :func:`load_mapping` / :func:`parse_mapping` — read a column mapping (SPEC §5);
* :func:`export_entity` — write an entity as CSV or XLSX that :func:`import_file` reads back.
"""

from salesops.ingest.errors import RowError
from salesops.ingest.export import export_entity
from salesops.ingest.importer import ImportReport, import_file
from salesops.ingest.mapping import (
    Mapping,
    MappingError,
    SheetMapping,
    load_mapping,
    load_sheet_mapping,
    parse_mapping,
    parse_sheet_mapping,
)
from salesops.ingest.quality import QualityReport, quality_report
from salesops.ingest.sheet import SheetReport, import_sheet

__all__ = [
    "ImportReport",
    "Mapping",
    "MappingError",
    "QualityReport",
    "RowError",
    "SheetMapping",
    "SheetReport",
    "export_entity",
    "import_file",
    "import_sheet",
    "load_mapping",
    "load_sheet_mapping",
    "parse_mapping",
    "parse_sheet_mapping",
    "quality_report",
]
