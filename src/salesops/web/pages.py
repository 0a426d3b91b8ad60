"""Server-rendered pages: the board (overview, orders, pipeline, team, customers), the wall
(大屏) and the data page. Every route gets the caller's scope from ``ScopeDep``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.background import BackgroundTask

from salesops.api.deps import EngineDep, Require, ScopeDep
from salesops.api.routes import entity_counts
from salesops.auth.roles import Permission as P
from salesops.web import wall, warmup
from salesops.web.board import Board
from salesops.web.filters import BoardFilters
from salesops.web.i18n import translate
from salesops.web.options import KIND_LABELS, announcements, filter_options
from salesops.web.panels import build_page, pages
from salesops.web.panels.base import PageSpec
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
        announcements=_announcements(engine, filters, locale) if spec.id == "overview" else [],
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


def _announcements(engine: Any, filters: BoardFilters, locale: str) -> list[dict[str, str]]:
    items = announcements(engine, filters.today, locale)
    for item in items:
        item["kind_label"] = translate(locale, KIND_LABELS.get(item["kind"], "News"))
    return items


@router.get("/", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def overview(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """总览: KPI cards, revenue trend with last year and target, announcements."""
    return render_board_page(request, engine, scope, pages()["overview"])


@router.get("/orders", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def orders(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """订单与销售额: trend by grain, composition, AOV, top customers and products."""
    return render_board_page(request, engine, scope, pages()["orders"])


@router.get("/pipeline", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def pipeline(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """商机漏斗: funnel, conversion, dwell time, stuck deals, channels, win/loss."""
    return render_board_page(request, engine, scope, pages()["pipeline"])


@router.get("/team", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def team(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """团队绩效: leaderboard and each rep against the team average."""
    return render_board_page(request, engine, scope, pages()["team"])


@router.get("/team/rep", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def rep_detail(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """One rep's page (``?rep=NAME`` plus the usual filters)."""
    locale = request_locale(request)
    rep = request.query_params.get("rep", "").strip()
    if not rep:
        return render_board_page(request, engine, scope, pages()["team"])
    title = translate(locale, "Sales rep: {name}", name=rep)
    return render_board_page(request, engine, scope, pages()["rep"], nav="team", title=title)


@router.get("/customers", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def customers(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """客户: value tiers, RFM, lifecycle, churn warnings, credit, cohorts."""
    return render_board_page(request, engine, scope, pages()["customers"])


@router.get("/market", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def market(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """市场与渠道: market share, China map, penetration, competitors, channel economics."""
    return render_board_page(request, engine, scope, pages()["market"])


@router.get("/voice", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def customer_voice(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """客户之声: NPS and CSAT, topics with verbatims, the revenue link, the feedback loop."""
    return render_board_page(request, engine, scope, pages()["voice"])


@router.get("/data", dependencies=[Require(P.IMPORT_DATA)], response_class=HTMLResponse)
def data_page(request: Request, engine: EngineDep, scope: ScopeDep) -> HTMLResponse:
    """What the database holds, live (row counts per entity and the data version)."""
    counts = entity_counts(engine)
    rows = [(name, ENTITY_LABELS.get(name, name), n) for name, n in counts.counts.items()]
    context = shell(request, None, "data")
    locale = request_locale(request)
    context["page_title"] = translate(locale, "Data")
    return render(
        request, "board/data.html", rows=rows, data_version=counts.data_version, **context
    )


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
