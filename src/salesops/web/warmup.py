"""Prepare pages before people ask for them.

* **Lazy panels, at once**: when a page is requested, its lazy panels (those that rebuild the
  pipeline from its history) start building in a background thread while the request thread
  builds the cards and the other panels, so they are ready — or nearly — when the browser
  asks for them after drawing the page. The board's caches are single-flight: the browser's
  request waits for the build already running instead of starting a second one.
* **The other pages, after this one**: after a board page is sent, the server builds the other
  pages for the same filters in the background (one at a time, so the machine stays
  responsive), filling the engine's, the analyses' and the panel caches. Clicking through
  the board is then fast even on a large database.
* **At start**: ``salesops serve`` and ``salesops demo`` build every page and the wall for
  the default filters, in both languages, right after the server starts — what a
  meeting-room screen or the first visitor of the day opens.

Set ``SALESOPS_BOARD_WARMUP=0`` to switch off the last two (the benchmark does, to time cold
pages); the lazy panels always start with their page.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from sqlalchemy import Engine

from salesops.metrics.scope import FULL_SCOPE, Scope
from salesops.web.board import Board
from salesops.web.filters import BoardFilters, parse_filters
from salesops.web.i18n import LOCALES
from salesops.web.panels.base import PageSpec, PanelSpec, deferred, safe_build

log = logging.getLogger(__name__)

_DONE: set[tuple[int, int, str, BoardFilters]] = set()
_LOCK = threading.Lock()
#: Pages warmed for each page's filters, in the order people usually click through them
#: (the wall, which shows parts of each, comes after them).
ORDER = ("overview", "orders", "pipeline", "team", "customers")
#: At start every page of the navigation is built: the market and customer voice pages too,
#: whose statements (and the jieba dictionary) are otherwise first compiled or loaded in front
#: of the first visitor of those pages.
START_ORDER = (*ORDER, "market", "voice")


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


def warm(
    engine: Engine,
    scope: Scope,
    filters: BoardFilters,
    locale: str,
    skip: str,
    *,
    isolated: bool = False,
    order: Sequence[str] = ORDER,
) -> None:
    """Build every board page of ``order`` but ``skip``, then the wall, for these filters
    (errors are logged, not raised).

    ``isolated``: each page from empty caches, as after an import (a group of a page's
    queries that an earlier page already answered would not run, so its statement would not
    be compiled before the first cold visit needs it).
    """
    from salesops.web.panels import build_page, pages
    from salesops.web.wall import build_slides

    specs = pages()

    def page(page_id: str) -> None:
        board = Board(engine=engine, scope=scope, filters=filters, locale=locale, page=page_id)
        build_page(board, specs[page_id])

    builds: list[tuple[str, Callable[[], object]]] = [
        (page_id, partial(page, page_id))
        for page_id in order
        if page_id != skip and page_id in specs
    ]
    builds.append(("wall", partial(build_slides, engine, scope, filters, locale, defer=False)))
    for name, build in builds:
        if isolated:
            forget_results(engine)
        try:
            build()
        except Exception:  # a warm-up must never disturb anyone
            log.debug("warm-up of %s failed", name, exc_info=True)


#: One background worker for lazy panels: they read the same history, so running them side
#: by side on two cores would only make each slower.
_LAZY = ThreadPoolExecutor(max_workers=1, thread_name_prefix="salesops-lazy")
#: At most two pages' lazy panels wait for the worker: someone clicking through filters
#: quickly should not leave a queue of stale pages behind (a page the worker has not taken
#: builds its panels when the browser asks, as without the worker).
_LAZY_SLOTS = threading.BoundedSemaphore(2)


def start_lazy_panels(board: Board, spec: PageSpec, only: Sequence[str] | None = None) -> None:
    """Start building the lazy panels of ``spec`` (or those of them in ``only``) that are not
    cached yet (see the module docstring); the page placeholders then fetch finished or
    running builds."""
    lazy = [p for p in spec.panels if (only is None or p.id in only) and deferred(board, p)]
    if lazy and _LAZY_SLOTS.acquire(blocking=False):
        twin = Board(
            engine=board.engine,
            scope=board.scope,
            filters=board.filters,
            locale=board.locale,
            page=board.page,
        )
        _LAZY.submit(_build_panels, twin, lazy)


def _build_panels(board: Board, panels: Sequence[PanelSpec]) -> None:
    try:
        for p in panels:
            try:
                safe_build(board, p)
            except Exception:  # pragma: no cover - safe_build reports failures in the panel
                log.debug("lazy panel %s/%s failed", board.page, p.id, exc_info=True)
    finally:
        _LAZY_SLOTS.release()


def warm_at_start(engine: Engine, scope: Scope = FULL_SCOPE) -> threading.Thread:
    """Build every page for the default filters in both languages, in a background thread. The
    expensive part — the engine's and the analyses' results — is shared by the languages;
    the second costs only formatting.

    With warm-up switched off the pages are still built once, then their results are
    dropped: the process is ready (modules imported, templates and SQL compiled, catalogs
    read, the database file in memory) but every number is computed on request — the state
    of a running server right after an import, which is what ``page-timings`` then measures
    as a cold page.
    """

    def run() -> None:
        _add_passed_month_ends(engine)
        _compile_templates()
        filters = parse_filters({})
        keep = enabled()
        for locale in LOCALES:
            warm(engine, scope, filters, locale, skip="", isolated=not keep, order=START_ORDER)
        if not keep:
            forget_results(engine)

    # not a daemon: a process that exits while warming up waits for it rather than aborting
    # inside the database driver
    thread = threading.Thread(target=run, name="salesops-warm-start", daemon=False)
    thread.start()
    return thread


def _add_passed_month_ends(engine: Engine) -> None:
    """Month ends that passed while no data was written are read from history (and the
    payments) until the next write; a server starting adds them to the month-end pipeline and
    the overdue receivables (see ``salesops.db.derived``)."""
    from salesops.db.derived import add_passed_month_ends

    try:
        with engine.begin() as conn:
            added = add_passed_month_ends(conn)
        if added:
            log.info("added %d month ends to the month-end pipeline", added)
    except Exception:  # a read-only database still serves, from history
        log.warning("could not add the passed month ends", exc_info=True)


def _compile_templates() -> None:
    """Load every page template once (Jinja compiles a template on its first use: about a
    fifth of a second for the board's page and layout)."""
    from salesops.web.render import templates

    env = templates.env
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)


def forget_results(engine: Engine) -> None:
    """Drop every cached result of ``engine``'s database (engine, analyses and panels)."""
    from salesops.metrics.engine import shared_engine
    from salesops.web.board import forget_analyses

    shared_engine(engine).clear_cache()
    forget_analyses(engine)
