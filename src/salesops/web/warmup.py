"""Prepare the other pages while the user reads this one.

After a board page is sent, the server builds the other pages for the same filters in the
background (one at a time, so the machine stays responsive), filling the engine's, the
analyses' and the panel caches. Clicking through the board is then fast even on a large
database. Set ``SALESOPS_BOARD_WARMUP=0`` to switch it off.
"""

from __future__ import annotations

import logging
import os
import threading

from sqlalchemy import Engine

from salesops.metrics.scope import Scope
from salesops.web.board import Board
from salesops.web.filters import BoardFilters

log = logging.getLogger(__name__)

_DONE: set[tuple[int, int, str, BoardFilters]] = set()
_LOCK = threading.Lock()
#: Pages warmed for each page's filters, in the order people usually click through them.
ORDER = ("overview", "orders", "pipeline", "team", "customers")


def enabled() -> bool:
    """Whether background warm-up is on (``SALESOPS_BOARD_WARMUP``, default on)."""
    return os.environ.get("SALESOPS_BOARD_WARMUP", "1") not in ("0", "false", "no")


def claim(board: Board) -> bool:
    """True once per database, data version, scope and filters: the caller should warm."""
    key = (id(board.engine), board.data_version, board.scope.cache_key(), board.filters)
    with _LOCK:
        if key in _DONE:
            return False
        if len(_DONE) > 4096:
            _DONE.clear()
        _DONE.add(key)
    return True


def warm(engine: Engine, scope: Scope, filters: BoardFilters, locale: str, skip: str) -> None:
    """Build every board page but ``skip`` for these filters (errors are logged, not raised)."""
    from salesops.web.panels import build_page, pages

    specs = pages()
    for page_id in ORDER:
        if page_id == skip or page_id not in specs:
            continue
        board = Board(engine=engine, scope=scope, filters=filters, locale=locale, page=page_id)
        try:
            build_page(board, specs[page_id])
        except Exception:  # a warm-up must never disturb anyone
            log.debug("warm-up of %s failed", page_id, exc_info=True)
