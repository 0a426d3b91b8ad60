"""Wall mode (大屏): one dark full-screen document whose slides rotate, refreshing its data
from the panel API on an interval (``setOption`` on live charts, so nothing flickers)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesops.api.deps import ReadEngineDep, Require, ScopeDep
from salesops.auth.roles import Permission as P
from salesops.config import get_settings
from salesops.web import warmup
from salesops.web.board import Board
from salesops.web.i18n import translate
from salesops.web.options import KIND_LABELS, announcements
from salesops.web.panels import PAGE_WORKERS, build_cards, pages
from salesops.web.panels.base import build_or_defer
from salesops.web.people_panels import good_news_items
from salesops.web.render import (
    board_json,
    china_map_src,
    render,
    request_filters,
    request_locale,
)

router = APIRouter(include_in_schema=False)

Slide = tuple[str, tuple[str, ...], tuple[tuple[str, int], ...]]

#: Slides: (page id, KPI cards, [(panel id, columns of 12)]).
SLIDES: tuple[Slide, ...] = (
    (
        "overview",
        ("revenue", "bookings", "win_rate", "new_customers", "collection_rate", "open_pipeline"),
        (("revenue_trend", 8), ("revenue_by_region", 4)),
    ),
    (
        "orders",
        (),
        (
            ("orders_trend", 12),
            ("orders_by_product_line", 4),
            ("orders_by_channel", 4),
            ("top_customers", 4),
        ),
    ),
    ("pipeline", (), (("funnel", 5), ("win_loss_competitor", 7), ("stuck_deals", 12))),
    ("team", (), (("leaderboard", 7), ("rep_revenue", 5))),
    ("customers", (), (("lifecycle", 4), ("churn_warnings", 8), ("cohorts", 12))),
)


#: Slides a wall shows only when asked (``?slides=market,voice``; a wall link keeps its query).
OPTIONAL_SLIDES: dict[str, Slide] = {
    # issue #25
    # with KPI cards, one row of panels (as the overview's slide): two would be squeezed
    "market": (
        "market",
        ("market_share", "cac", "roi", "clv_cac"),
        (("china_map", 5), ("share_by_region", 3), ("spend_vs_result", 4)),
    ),
    "voice": (
        "voice",
        ("nps", "csat", "feedback_sla_rate", "feedback_informed_rate"),
        (("nps_trend", 6), ("loop_status", 3), ("topics", 3)),
    ),
}


def chosen_slides(text: str | None) -> tuple[Slide, ...]:
    """The default slides plus the optional ones named in ``text`` (comma-separated, in the
    order given; unknown names are ignored)."""
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    extra = tuple(OPTIONAL_SLIDES[n] for n in dict.fromkeys(names) if n in OPTIONAL_SLIDES)
    return SLIDES + extra


def _seconds(text: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(text) if text else default
    except ValueError:
        return default
    return max(low, min(high, value))


def build_slides(
    engine: Any,
    scope: Any,
    filters: Any,
    locale: str,
    *,
    defer: bool = True,
    slides_text: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The wall's slides (cards and layout), their panels, and what each slide refreshes.

    Cards and panels are built side by side, as a board page is (see ``build_page``);
    ``defer``: lazy panels are placeholders the browser fills in, started at once.
    """
    specs = pages()
    chosen = chosen_slides(slides_text)
    boards = {
        page_id: Board(engine=engine, scope=scope, filters=filters, locale=locale, page=page_id)
        for page_id, _, _ in chosen
    }
    if defer:
        for page_id, _, layout in chosen:
            warmup.start_lazy_panels(boards[page_id], specs[page_id], [p for p, _ in layout])

    with ThreadPoolExecutor(PAGE_WORKERS, thread_name_prefix="salesops-wall") as pool:
        cards = {
            page_id: pool.submit(build_cards, boards[page_id], card_ids)
            for page_id, card_ids, _ in chosen
            if card_ids
        }
        built = {
            page_id: [
                pool.submit(build_or_defer, boards[page_id], p, defer)
                for p in specs[page_id].panels
                if p.id in {pid for pid, _ in layout}
            ]
            for page_id, _, layout in chosen
        }
        # issue #27: the ticker's good news, so a warmed wall is served from the cache
        news = pool.submit(good_news_items, boards["overview"])
        slides: list[dict[str, Any]] = []
        panels: list[dict[str, Any]] = []
        refresh_pages = []
        for page_id, card_ids, layout in chosen:
            panels.extend(f.result() for f in built[page_id])
            slides.append(
                {
                    "page": page_id,
                    "title": translate(locale, specs[page_id].title),
                    "cards": cards[page_id].result() if page_id in cards else [],
                    "layout": layout,
                }
            )
            refresh_pages.append(
                {"page": page_id, "panels": [pid for pid, _ in layout], "cards": list(card_ids)}
            )
        news.result()
    return slides, panels, refresh_pages


@router.get("/wall", dependencies=[Require(P.VIEW_WALL)], response_class=HTMLResponse)
def wall(request: Request, engine: ReadEngineDep, scope: ScopeDep) -> HTMLResponse:
    """The wall: ``?rotate=`` seconds per slide (default 20), ``?refresh=`` seconds (60)."""
    locale = request_locale(request)
    filters, error = request_filters(request)
    slides_text = request.query_params.get("slides")
    slides, panels, refresh_pages = build_slides(
        engine, scope, filters, locale, defer=not error, slides_text=slides_text
    )
    rotate = _seconds(request.query_params.get("rotate"), 20, 0, 3600)
    refresh = _seconds(request.query_params.get("refresh"), 60, 0, 86400)
    data = {
        "page": "wall",
        "locale": locale,
        "tz": get_settings().timezone,
        "wall": {"rotate": rotate, "refresh": refresh, "pages": refresh_pages},
        "cards": [c for s in slides for c in s["cards"]],
        "panels": panels,
        "filters": filters.as_json(),
    }
    compare = translate(
        locale, "vs same period last year" if filters.compare == "yoy" else "vs previous period"
    )
    items = announcements(engine, filters.today, locale)
    for item in items:
        item["kind_label"] = translate(locale, KIND_LABELS.get(item["kind"], "News"))
    # issue #27: 喜报 on the ticker, names only in the wall's scope
    overview = Board(engine=engine, scope=scope, filters=filters, locale=locale, page="overview")
    items = good_news_items(overview) + items
    return render(
        request,
        "board/wall.html",
        status_code=400 if error else 200,
        slides=slides,
        panels_by_id={p["id"]: p for p in panels},
        board_json=board_json(data),
        announcements=items,
        china_map=china_map_src() if any(s["page"] == "market" for s in slides) else None,
        period_label=f"{filters.start.isoformat()} – {filters.end.isoformat()} · {compare}",
        updated=dt.datetime.now(ZoneInfo(get_settings().timezone)).strftime("%H:%M:%S"),
    )
