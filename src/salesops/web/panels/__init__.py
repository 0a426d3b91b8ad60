"""The board's pages and their panels, shared by the HTML pages and the JSON API."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from salesops.web.board import Board, broken_card
from salesops.web.panels.base import PageSpec, build_or_defer

log = logging.getLogger(__name__)


def pages() -> dict[str, PageSpec]:
    """Every board page by id, in navigation order."""
    from salesops.web.panels import customers, market, orders, overview, pipeline, team, voice

    return {
        p.id: p
        for p in (
            overview.PAGE,
            orders.PAGE,
            pipeline.PAGE,
            team.PAGE,
            team.REP_PAGE,
            customers.PAGE,
            market.PAGE,
            voice.PAGE,
        )
    }


def card_records_url(metric: str) -> str:
    """Where the records behind a KPI card come from."""
    return f"/api/v1/records/{metric}"


def build_cards(board: Board, metrics: tuple[str, ...]) -> list[dict[str, Any]]:
    """The KPI cards; a KPI the engine cannot answer shows a dash and the reason."""
    try:
        return board.cards(metrics, card_records_url)
    except Exception as exc:  # the cards must not take the page down
        log.exception("cards %s failed", ",".join(metrics))
        return [broken_card(board, m, str(exc)) for m in metrics]


#: Threads a page is built on: the cards on one, the panels on the other (and on the first
#: once the cards are done). Their statements are small, so one barely keeps a core busy;
#: side by side they take the two cores of a small server.
PAGE_WORKERS = 2


def build_page(
    board: Board, spec: PageSpec, panel_ids: list[str] | None = None, *, defer: bool = False
) -> dict[str, Any]:
    """Cards and panels of ``spec`` (or only ``panel_ids``) for the board's filters, built side
    by side (:data:`PAGE_WORKERS`); the board's caches are single-flight and thread-safe.

    ``defer`` (HTML pages) leaves lazy panels as placeholders the browser fills in.
    """
    wanted = [p for p in spec.panels if panel_ids is None or p.id in panel_ids]

    with ThreadPoolExecutor(PAGE_WORKERS, thread_name_prefix="salesops-page") as pool:
        cards = pool.submit(build_cards, board, spec.cards)
        panels = list(pool.map(lambda p: build_or_defer(board, p, defer), wanted))
        return {
            "page": spec.id,
            "filters": board.filters.as_json(),
            "locale": board.locale,
            "cards": cards.result(),
            "panels": panels,
        }
