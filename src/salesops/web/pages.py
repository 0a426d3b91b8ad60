"""Server-rendered pages: the board (overview, orders, pipeline, team, customers), the wall
(大屏) and the data page. Every route gets the caller's scope from ``ScopeDep``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from starlette.background import BackgroundTask

from salesops.api.deps import ReadEngineDep, Require, ScopeDep
from salesops.api.routes import entity_counts
from salesops.auth.roles import Permission as P
from salesops.web import wall, warmup
from salesops.web.board import Board
from salesops.web.filters import BoardFilters
from salesops.web.i18n import translate
from salesops.web.options import KIND_LABELS, announcements, filter_options
from salesops.web.panels import build_page, pages
from salesops.web.panels.base import PageSpec
from salesops.web.people_panels import good_news_items
from salesops.web.render import (
    JS_TEXT,
    board_json,
    china_map_src,
    render,
    request_filters,
    request_locale,
    shell,
    templates,
)

__all__ = ["render", "router", "templates"]

router = APIRouter(include_in_schema=False)
router.include_router(wall.router)


def render_board_page(
    request: Request,
    engine: Any,
    scope: Any,
    spec: PageSpec,
    *,
    nav: str | None = None,
    title: str | None = None,
    links: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    """A board page: filters from the URL, cards and panels from the engine."""
    locale = request_locale(request)
    filters, error = request_filters(request)
    board = Board(engine=engine, scope=scope, filters=filters, locale=locale, page=spec.id)
    if not error:
        warmup.start_lazy_panels(board, spec)
    data = build_page(board, spec, defer=True)
    data["t"] = {k: translate(locale, v) for k, v in JS_TEXT.items()}
    context = shell(request, filters, nav or spec.id)
    context["options"] = filter_options(engine, scope)
    context.update(
        page_title=title or translate(locale, spec.title),
        data=data,
        layout=spec.layout,
        panels_by_id={p["id"]: p for p in data["panels"]},
        board_json=board_json(data),
        error=translate(locale, error.message, **error.params) if error else None,
        page_links=links or [],
        announcements=_announcements(board, filters, locale) if spec.id == "overview" else [],
        china_map=china_map_src() if spec.id == "market" else None,
        feedback_js=spec.id == "voice",
        can_manage_feedback=_can(request, P.MANAGE_FEEDBACK),
    )
    response = render(request, "board/page.html", status_code=400 if error else 200, **context)
    if not error and warmup.enabled() and warmup.claim(board):
        # After the response: build the other pages for these filters (see web/warmup.py).
        response.background = BackgroundTask(warmup.warm, engine, scope, filters, locale, spec.id)
    return response


def _can(request: Request, permission: P) -> bool:
    principal = getattr(request.state, "principal", None)
    return bool(principal and principal.can(permission))


def _announcements(board: Board, filters: BoardFilters, locale: str) -> list[dict[str, str]]:
    items = announcements(board.engine, filters.today, locale)
    for item in items:
        item["kind_label"] = translate(locale, KIND_LABELS.get(item["kind"], "News"))
    # issue #27: 喜报 first (names only in the viewer's scope)
    return good_news_items(board) + items


@router.get("/", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def overview(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """总览: KPI cards, revenue trend with last year and target, announcements."""
    return render_board_page(request, engine, scope, pages()["overview"])


@router.get("/orders", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def orders(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """订单与销售额: trend by grain, composition, AOV, top customers and products."""
    return render_board_page(request, engine, scope, pages()["orders"])


@router.get("/pipeline", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def pipeline(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """商机漏斗: funnel, conversion, dwell time, stuck deals, channels, win/loss."""
    return render_board_page(request, engine, scope, pages()["pipeline"])


@router.get("/team", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def team(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """团队绩效: leaderboard and each rep against the team average."""
    return render_board_page(request, engine, scope, pages()["team"])


@router.get("/team/rep", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def rep_detail(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """One rep's page (``?rep=NAME`` plus the usual filters)."""
    locale = request_locale(request)
    rep = request.query_params.get("rep", "").strip()
    if not rep:
        return render_board_page(request, engine, scope, pages()["team"])
    title = translate(locale, "Sales rep: {name}", name=rep)
    response = render_board_page(
        request,
        engine,
        scope,
        pages()["rep"],
        nav="team",
        title=title,
        links=[  # issue #27: the rep's statement, ratings and coaching
            (
                "/people?" + urlencode({"rep": rep}),
                translate(locale, "Commission statement, ratings and coaching"),
            )
        ],
    )
    return response


@router.get("/customers", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def customers(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """客户: value tiers, RFM, lifecycle, churn warnings, credit, cohorts."""
    return render_board_page(request, engine, scope, pages()["customers"])


@router.get("/market", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def market(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """市场与渠道: market share, China map, penetration, competitors, channel economics."""
    return render_board_page(request, engine, scope, pages()["market"])


@router.get("/voice", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def customer_voice(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """客户之声: NPS and CSAT, topics with verbatims, the revenue link, the feedback loop."""
    return render_board_page(request, engine, scope, pages()["voice"])


@router.get("/data", dependencies=[Require(P.IMPORT_DATA)], response_class=HTMLResponse)
def data_page(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """What the database holds, live (row counts per entity and the data version)."""
    counts = entity_counts(engine)
    rows = [(name, ENTITY_LABELS.get(name, name), n) for name, n in counts.counts.items()]
    context = shell(request, None, "data")
    locale = request_locale(request)
    context["page_title"] = translate(locale, "Data")
    return render(
        request,
        "board/data.html",
        rows=rows,
        data_version=counts.data_version,
        import_json=import_page_json(locale),
        **source_status(engine),
        **context,
    )


def source_status(engine: Engine) -> dict[str, Any]:
    """The saved import sources, their latest runs, and the sources whose last run failed
    (issue #21: a failed scheduled import is shown, not only logged)."""
    from salesops.integrate.sources import list_sources, recent_runs

    with engine.connect() as conn:
        sources = list_sources(conn)
        runs = recent_runs(conn, 20)
        last: dict[str, dict[str, Any]] = {}
        for run in recent_runs(conn, 500):
            last.setdefault(run["source"], run)
    known = {s.name for s in sources}
    failing = [r for name, r in last.items() if r["status"] == "failed" and name in known]
    return {"sources": sources, "source_runs": runs, "failing_sources": failing}


def import_page_json(locale: str) -> str:
    """What the import form's script needs: entities, options and its texts in ``locale``."""
    import json

    from salesops.config import get_settings
    from salesops.ingest.fields import ENTITIES
    from salesops.ingest.mapping import DIMENSIONS

    data = {
        "entities": [
            {"id": e, "label": translate(locale, ENTITY_LABELS.get(e, e))} for e in ENTITIES
        ],
        "dimensions": list(DIMENSIONS),
        "labels": {
            "sheet": translate(locale, "Several entities"),
            "region": translate(locale, "Regions"),
        },
        "max_mb": get_settings().upload_max_mb,
        "t": {k: translate(locale, v) for k, v in IMPORT_TEXT.items()},
    }
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


#: Texts of the import form's script (web/static/data.js), translated per page.
IMPORT_TEXT = {
    "uploading": "Uploading…",
    "rows": "{n} rows",
    "not_mapped": "— not mapped —",
    "required": "required",
    "use": "Use",
    "saved": "saved mapping",
    "sample": "sample mapping",
    "same_name": "Columns named like the fields",
    "no_suggestions": "No saved or sample mapping matches these columns.",
    "auto_date": "Detect (stop if ambiguous)",
    "dry_run_ok": "Dry run: the file would import without errors.",
    "import_ok": "Imported.",
    "failed": "Nothing was imported: {n} error(s).",
    "new": "new",
    "updated": "updated",
    "unchanged": "unchanged",
    "merged": "repeated rows merged",
    "created": "created",
    "saved_ok": "Mapping saved.",
    "remove": "Remove",
    "field": "Field",
    "column": "Column in the file",
    "row": "Row",
    "value": "Value",
    "reason": "Reason",
    "quality": "Data quality",
    "no_quality_problems": "Data quality: no problems found.",
    "reading": "Reading",
    "validating": "Checking",
    "loading": "Loading",
    "queued": "Waiting",
    "done": "Done",
    "status_ok": "Imported",
    "status_failed": "Failed",
    "status_dry-run": "Dry run",
    "pick_entity": "Choose what the file holds first.",
    "pick_file": "Choose a file first.",
    "too_large": "The file is larger than {mb} MB.",
    "add_entity": "Add an entity…",
    "no_runs": "No import yet.",
    "no_mappings": "No mapping saved yet.",
    "more_errors": "… and {n} more (not kept).",
    "on_duplicate_error": "Stop with an error",
    "on_duplicate_first": "Keep the first row",
    "on_duplicate_last": "Keep the last row",
    "unknown_reject": "Stop with an error",
    "unknown_create": "Create them",
    "unknown_null": "Leave them empty",
    "request_failed": "The server did not answer ({status}).",
}


ENTITY_LABELS = {
    "org_unit": "Org units",
    "rep": "Sales reps",
    "product": "Products",
    "customer": "Customers",
    "pipeline_stage": "Pipeline stages",
    "opportunity": "Opportunities",
    "opportunity_change": "Opportunity changes",
    "lead": "Leads",
    "order": "Orders",
    "order_line": "Order lines",
    "payment": "Payments",
    "activity": "Activities",
    "feedback": "Feedback",
    "marketing_spend": "Marketing spend",
    "market_size": "Market size",
    "target": "Targets",
    "announcement": "Announcements",
}
