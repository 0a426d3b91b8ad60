"""JSON behind every board panel (``/api/v1/panels``), the records behind it and their exports.

The pages render exactly what these endpoints return; the wall refreshes from them. Filters are
the board's query string: ``period`` (month | quarter | year | fiscal_quarter | fiscal_year |
last12 | custom), ``from``/``to`` for a custom period, ``compare`` (prev | yoy), ``grain``,
``asof`` and any dimension id (``region=华东``, repeated for several values).
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Engine

from salesops.api.deps import (
    ActorDep,
    EngineDep,
    PrincipalDep,
    ReadEngineDep,
    Require,
    ScopeDep,
)
from salesops.api.errors import responses
from salesops.auth.audit import Actor, record_now
from salesops.auth.principal import Principal
from salesops.auth.roles import Permission as P
from salesops.metrics.query import DIMENSIONS
from salesops.web.board import Board
from salesops.web.filters import FilterError, multi_params, parse_filters
from salesops.web.i18n import translate
from salesops.web.options import filter_options
from salesops.web.panels import build_cards, build_page, pages
from salesops.web.panels.base import EXPECTED_ERRORS, safe_build
from salesops.web.panels.common import engine_records
from salesops.web.records import RecordSet, to_csv, to_json, to_xlsx
from salesops.web.render import request_locale
from salesops.web.wall import SLIDES

WALL_PAGES = frozenset(page for page, _, _ in SLIDES)

router = APIRouter(prefix="", tags=["board"])

Format = Literal["json", "csv", "xlsx"]


def _board_context(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> Board:
    locale = request_locale(request)
    try:
        filters = parse_filters(multi_params(request.query_params.multi_items()))
    except FilterError as exc:
        raise HTTPException(400, translate(locale, exc.message, **exc.params)) from None
    return Board(engine=engine, scope=scope, filters=filters, locale=locale)


def _documented(request: Request, engine: ReadEngineDep, scope: ScopeDep, **_: Any) -> Board:
    return _board_context(request, engine, scope)


# The filter parameters, declared so that the OpenAPI schema lists them; values are read from
# the query string itself (dimensions may repeat).
_PARAMS = [
    inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
    inspect.Parameter("engine", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ReadEngineDep),
    inspect.Parameter("scope", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ScopeDep),
    *(
        inspect.Parameter(
            f"{name}_",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[str | None, Query(alias=name, description=doc)],
            default=None,
        )
        for name, doc in (
            (
                "period",
                "month | quarter | year | fiscal_quarter | fiscal_year | last12 | custom "
                "(default year, to date; fiscal ones follow the fiscal year start month)",
            ),
            ("from", "start of a custom period (YYYY-MM-DD)"),
            ("to", "end of a custom period (YYYY-MM-DD)"),
            ("compare", "prev | yoy"),
            ("grain", "day | week | month | quarter | year (trend charts)"),
            ("asof", "the board's today (YYYY-MM-DD; default: today)"),
            ("lang", "zh | en (default: cookie, then Accept-Language)"),
        )
    ),
    *(
        inspect.Parameter(
            dim,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[list[str] | None, Query(description=f"keep these {dim} values")],
            default=None,
        )
        for dim in DIMENSIONS
    ),
]
_documented.__signature__ = inspect.Signature(_PARAMS, return_annotation=Board)  # type: ignore[attr-defined]

BoardDep = Annotated[Board, Depends(_documented)]


class PanelPage(BaseModel):
    """One page's cards and panels (each panel: kind, title, ECharts option or table rows)."""

    page: str
    filters: dict[str, Any]
    locale: str
    cards: list[dict[str, Any]]
    panels: list[dict[str, Any]]


class PageList(BaseModel):
    pages: dict[str, list[str]]


@router.get(
    "/panels", dependencies=[Require(P.VIEW_BOARD)], summary="The board's pages and their panels"
)
def list_panels() -> PageList:
    """Page ids and the panel ids of each page."""
    return PageList(pages={pid: [p.id for p in spec.panels] for pid, spec in pages().items()})


@router.get(
    "/panels/options",
    dependencies=[Require(P.VIEW_BOARD)],
    summary="Values of the filter bar's selects",
)
def panel_options(engine: ReadEngineDep, scope: ScopeDep) -> dict[str, list[str]]:
    """Regions, teams, reps (those the caller may see), product lines and channels."""
    return filter_options(engine, scope)


def _page(page: str, principal: Principal | None = None) -> Any:
    if principal is not None and principal.kind == "wall" and page not in WALL_PAGES:
        raise HTTPException(403, "a wall link shows the wall's pages only")
    spec = pages().get(page)
    if spec is None:
        raise HTTPException(404, f"unknown page {page!r}; known: {', '.join(pages())}")
    return spec


@router.get(
    "/panels/{page}",
    dependencies=[Require(P.VIEW_BOARD, P.VIEW_WALL)],
    summary="All cards and panels of a page",
    responses=responses(400, 404),
)
def page_panels(
    page: str,
    board: BoardDep,
    principal: PrincipalDep,
    panels: Annotated[str | None, Query(description="comma-separated panel ids")] = None,
    cards: Annotated[str | None, Query(description="comma-separated KPI ids")] = None,
) -> PanelPage:
    """What the page shows for these filters (the wall refreshes from this)."""
    spec = _page(page, principal)
    board.page = page
    wanted = [p for p in panels.split(",") if p] if panels is not None else None
    data = build_page(board, spec, wanted)
    if cards is not None:
        data["cards"] = build_cards(board, tuple(c for c in cards.split(",") if c))
    return PanelPage(**data)


@router.get(
    "/panels/{page}/{panel}",
    dependencies=[Require(P.VIEW_BOARD, P.VIEW_WALL)],
    summary="One panel",
    responses=responses(400, 404),
)
def one_panel(page: str, panel: str, board: BoardDep, principal: PrincipalDep) -> dict[str, Any]:
    """One panel's payload (ECharts option or table) for these filters."""
    spec = _page(page, principal)
    found = spec.panel(panel)
    if found is None:
        raise HTTPException(404, f"page {page!r} has no panel {panel!r}")
    board.page = page
    return safe_build(board, found)


def _export(
    records: RecordSet, fmt: Format, board: Board, name: str, actor: Actor, primary: Engine
) -> Response:
    locale = board.locale
    if fmt in ("csv", "xlsx"):  # a file leaves the board: audited (records shown are not)
        record_now(
            primary,  # the board may read from a replica; the audit log is written to the primary
            actor,
            "export.records",
            f"{name}.{fmt}",
            {"rows": len(records.rows), "filters": board.filters.as_json()},
        )
    if fmt == "csv":
        return Response(
            to_csv(records),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _attachment(f"{name}.csv")},
        )
    if fmt == "xlsx":
        return Response(
            to_xlsx(records),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": _attachment(f"{name}.xlsx")},
        )
    return Response(
        content=_json(to_json(records, locale)), media_type="application/json; charset=utf-8"
    )


def _json(data: Any) -> bytes:
    import json

    return json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")


def _attachment(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode()
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@router.get(
    "/panels/{page}/{panel}/records",
    dependencies=[Require(P.EXPORT_RECORDS)],
    summary="The records behind a panel (JSON, CSV or XLSX)",
    response_class=Response,
    responses=responses(400, 404),
)
def panel_records(
    page: str,
    panel: str,
    board: BoardDep,
    actor: ActorDep,
    primary: EngineDep,
    format: Annotated[Format, Query(description="json | csv | xlsx")] = "json",
    sel: Annotated[
        str | None, Query(description="a panel-specific selection (a segment, a tier)")
    ] = None,
) -> Response:
    """Rows behind ``panel`` for these filters; ``sel`` narrows to a clicked item."""
    spec = _page(page)
    found = spec.panel(panel)
    if found is None or found.records is None:
        raise HTTPException(404, f"page {page!r} has no records for panel {panel!r}")
    board.page = page
    try:
        records = found.records(board, sel)
    except EXPECTED_ERRORS as exc:
        raise HTTPException(400, str(exc)) from None
    return _export(records, format, board, f"{page}-{panel}", actor, primary)


@router.get(
    "/records/{metric}",
    dependencies=[Require(P.EXPORT_RECORDS)],
    summary="The records behind a KPI (JSON, CSV or XLSX)",
    response_class=Response,
    responses=responses(400, 404),
)
def metric_records(
    metric: str,
    board: BoardDep,
    actor: ActorDep,
    primary: EngineDep,
    format: Annotated[Format, Query(description="json | csv | xlsx")] = "json",
) -> Response:
    """The fact rows a KPI is computed from, for these filters (at most 5,000)."""
    from salesops.web import kpi

    try:
        label = kpi.info(metric, board.locale).label
        records = engine_records(board, metric, label)
    except EXPECTED_ERRORS as exc:
        raise HTTPException(400 if not isinstance(exc, LookupError) else 404, str(exc)) from None
    return _export(records, format, board, metric, actor, primary)
