"""Pages and panels as data: each page lists its KPI cards, its panels and their layout.

A panel builder returns a JSON-friendly dict (``kind`` chart or table, the ECharts option or
the table rows, how a click drills down); a records builder returns the rows behind it. The
HTML pages and the ``/api/v1/panels`` endpoints call the very same builders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from salesops.analysis.common import AnalysisError
from salesops.web.board import Board
from salesops.web.filters import FilterError
from salesops.web.records import Column, RecordSet

log = logging.getLogger(__name__)

Panel = dict[str, Any]
PanelBuilder = Callable[[Board], Panel]
RecordsBuilder = Callable[[Board, str | None], RecordSet]

#: Errors that mean "this panel cannot answer for these filters", shown as a notice.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (AnalysisError, FilterError, ValueError, LookupError)


@dataclass(frozen=True)
class PanelSpec:
    """One panel: its id, how to build it and (optionally) the records behind it."""

    id: str
    build: PanelBuilder
    records: RecordsBuilder | None = None
    #: Built after the page is shown (the browser fetches it): panels that rebuild the
    #: pipeline from its history can take seconds on a cold cache. ``title`` is their msgid.
    lazy: bool = False
    title: str = ""
    kind: str = "chart"
    #: Applied to the (cached) payload on every view: what changes without a new data
    #: version, such as the stored forecast drawn on a trend (web/panels/forecast_overlay.py).
    finish: Callable[[Board, Panel], Panel] | None = None


@dataclass(frozen=True)
class PageSpec:
    """One board page: title msgid, KPI cards, panels and their grid layout."""

    id: str
    title: str
    cards: tuple[str, ...]
    panels: tuple[PanelSpec, ...]
    # (panel id, columns of 12, height class) in reading order
    layout: tuple[tuple[str, int, str], ...]
    nav: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def panel(self, panel_id: str) -> PanelSpec | None:
        """The panel with ``panel_id`` (None when the page has none)."""
        return next((p for p in self.panels if p.id == panel_id), None)


def records_url(board: Board, panel_id: str) -> str:
    """Where the records behind a panel come from (filters are appended by the browser)."""
    return f"/api/v1/panels/{board.page}/{panel_id}/records"


def chart(
    board: Board,
    panel_id: str,
    title: str,
    option: dict[str, Any],
    *,
    subtitle: str = "",
    empty: bool = False,
    drill: dict[str, Any] | None = None,
    records: bool = True,
) -> Panel:
    """A chart panel payload."""
    return {
        "id": panel_id,
        "kind": "chart",
        "title": title,
        "subtitle": subtitle,
        "option": option,
        "empty": empty,
        "drill": drill,
        "records_url": records_url(board, panel_id) if records else None,
        "error": None,
    }


def table(
    board: Board,
    panel_id: str,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    *,
    subtitle: str = "",
    records: bool = True,
    href: Callable[[dict[str, Any]], str | None] | None = None,
    sel: Callable[[dict[str, Any]], str | None] | None = None,
) -> Panel:
    """A table panel payload: cells formatted for the board's language."""
    from salesops.web.records import _cell

    out_rows = []
    for row in rows:
        out_rows.append(
            {
                "cells": [_table_cell(board, row.get(c.key), c, _cell) for c in columns],
                "href": href(row) if href else None,
                "sel": sel(row) if sel else None,
            }
        )
    return {
        "id": panel_id,
        "kind": "table",
        "title": title,
        "subtitle": subtitle,
        "table": {
            "columns": [
                {"key": c.key, "label": c.label, "cls": "num" if c.unit else ""} for c in columns
            ],
            "rows": out_rows,
        },
        "empty": not rows,
        "records_url": records_url(board, panel_id) if records else None,
        "error": None,
    }


def _table_cell(board: Board, value: Any, column: Column, cell: Callable[..., str]) -> str:
    if column.unit and value is not None and not isinstance(value, str):
        return board.fmt(value, column.unit)
    return cell(value, None, board.locale)


def safe_build(board: Board, spec: PanelSpec) -> Panel:
    """Build a panel; a failure becomes a notice on that panel, never a broken page."""
    try:
        # Whole payloads are cached per data version, filters, scope and language, so a
        # warm page costs a few dictionary look-ups (engine and analyses cache too).
        panel = dict(board.cached(panel_key(board, spec), lambda: spec.build(board)))
    except EXPECTED_ERRORS as exc:
        message = exc.message if isinstance(exc, FilterError) else str(exc)
        return _failed(
            board, spec.id, board.t("This panel cannot be shown: {reason}", reason=message)
        )
    except Exception:
        log.exception("panel %s/%s failed", board.page, spec.id)
        return _failed(board, spec.id, board.t("This panel could not be computed."))
    # A builder may be shared by pages (activities on the team and the rep page): the spec
    # names the panel and says where its records are.
    panel["id"] = spec.id
    panel["records_url"] = records_url(board, spec.id) if spec.records else None
    if spec.finish is not None:
        try:
            panel = spec.finish(board, panel)
        except Exception:  # the panel without its extra, never a broken page
            log.exception("panel %s/%s: finishing failed", board.page, spec.id)
    return panel


def _failed(board: Board, panel_id: str, message: str) -> Panel:
    return {
        "id": panel_id,
        "kind": "chart",
        "title": board.t(PANEL_TITLES.get(panel_id, panel_id)),
        "subtitle": "",
        "option": {},
        "empty": True,
        "drill": None,
        "records_url": None,
        "error": message,
    }


#: Panel titles by id (English msgids), used when a panel fails before it names itself.
PANEL_TITLES: dict[str, str] = {}


def titled(panel_id: str, title: str) -> str:
    """Register ``title`` as the msgid of ``panel_id`` and return it."""
    PANEL_TITLES[panel_id] = title
    return title


def panel_key(board: Board, spec: PanelSpec) -> tuple[str, str, str, str]:
    """The cache key of a panel's payload (with scope and filters added by the board)."""
    return ("panel", board.page, spec.id, board.locale)


def deferred(board: Board, spec: PanelSpec) -> bool:
    """A lazy panel is deferred only while its payload is not cached yet."""
    return spec.lazy and not board.is_cached(panel_key(board, spec))


def build_or_defer(board: Board, spec: PanelSpec, defer: bool) -> Panel:
    """The panel, or — ``defer`` and the panel lazy and not cached yet — its placeholder."""
    return placeholder(board, spec) if defer and deferred(board, spec) else safe_build(board, spec)


def placeholder(board: Board, spec: PanelSpec) -> Panel:
    """A lazy panel before its data: title and tools now, the content fetched by the browser."""
    columns: list[dict[str, str]] = []
    return {
        "id": spec.id,
        "kind": spec.kind,
        "title": board.t(spec.title),
        "subtitle": board.t("Loading…"),
        "option": {},
        "table": {"columns": columns, "rows": []},
        "empty": False,
        "drill": None,
        "records_url": records_url(board, spec.id) if spec.records else None,
        "error": None,
        "lazy": f"/api/v1/panels/{board.page}/{spec.id}",
    }
