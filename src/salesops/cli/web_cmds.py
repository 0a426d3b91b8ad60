"""``salesops screenshots``: every board page in desktop, phone and wall mode, in both languages."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)

CHROMIUM = os.environ.get("SALESOPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: (file name, path) of the pages; the rep page is added with the first rep the data knows.
PAGES = (
    ("overview", "/"),
    ("orders", "/orders"),
    ("pipeline", "/pipeline"),
    ("team", "/team"),
    ("customers", "/customers"),
)
#: (mode, viewport width, height, device scale, full page)
MODES = (("desktop", 1440, 900, 1, True), ("phone", 390, 844, 2, True))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _local_server() -> Iterator[str]:
    """Serve the app on the configured database on a free loopback port (a thread)."""
    import uvicorn

    from salesops.app import create_app
    from salesops.cli.common import open_database
    from salesops.web import warmup

    engine = open_database(migrate=True)
    # As `salesops serve` starts: the default views are built (or, with warm-up off, the
    # process is primed and the results dropped); pages are timed once that is done.
    warmup.warm_at_start(engine).join(timeout=600)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the board server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


def _first_rep(base: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{base}/api/v1/panels/options", timeout=30) as resp:
            reps = json.load(resp).get("rep", [])
    except OSError:
        return None
    return str(reps[0]) if reps else None


def screenshots(
    out: Path = typer.Option(Path("screenshots"), help="Folder for the PNG files."),
    url: str | None = typer.Option(
        None, help="A running board (default: start one on SALESOPS_DATABASE_URL)."
    ),
    query: str = typer.Option(
        "", help="Extra query string for every page, e.g. 'period=year&asof=2026-06-30'."
    ),
) -> None:
    """Screenshot every board page (desktop, phone, wall) in 简体中文 and English."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with _local_server() if url is None else _given(url) as base:
        pages = list(PAGES)
        rep = _first_rep(base)
        if rep:
            pages.insert(4, ("rep", f"/team/rep?rep={quote(rep)}"))
        shots: list[tuple[str, str, str, str, int, int, int, bool]] = []
        for lang in ("zh", "en"):
            for mode, width, height, scale, full in MODES:
                shots.extend((lang, mode, n, p, width, height, scale, full) for n, p in pages)
            shots.append((lang, "wall", "wall", "/wall?rotate=0&refresh=0", 1920, 1080, 1, False))
        written = _take(sync_playwright, base, shots, out, query)
    console.print(f"[green]{written} screenshots[/green] in {out}/")


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url.rstrip("/")


def _take(
    playwright: object,
    base: str,
    shots: list[tuple[str, str, str, str, int, int, int, bool]],
    out: Path,
    query: str,
) -> int:
    written = 0
    errors: list[str] = []
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console,
    )  # fmt: skip
    with progress, playwright() as pw:  # type: ignore[operator]
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        task = progress.add_task("screenshots", total=len(shots))
        for lang, mode, name, path, width, height, scale, full in shots:
            progress.update(task, description=f"{lang} {mode} {name}")
            context = browser.new_context(
                viewport={"width": width, "height": height},
                device_scale_factor=scale,
                is_mobile=mode == "phone",
                has_touch=mode == "phone",
                locale="zh-CN" if lang == "zh" else "en-US",
            )
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            sep = "&" if "?" in path else "?"
            extra = f"&{query}" if query else ""
            page.goto(f"{base}{path}{sep}lang={lang}{extra}", wait_until="load")
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)
            page.wait_for_timeout(900)  # chart entry animations
            target = out / lang / f"{mode}-{name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), full_page=full)
            context.close()
            written += 1
            progress.advance(task)
        browser.close()
    for error in errors:
        console.print(f"[yellow]page error:[/yellow] {error}")
    return written


def page_timings(
    url: str | None = typer.Option(
        None, help="A running board (default: start one on SALESOPS_DATABASE_URL)."
    ),
    runs: int = typer.Option(5, min=1, max=50, help="Loads per page after the first."),
    query: str = typer.Option("", help="Extra query string for every page."),
) -> None:
    """Time each board page in Chromium: first load (cold cache) and the median of ``runs``
    more, from navigation start until every chart's first frame is painted; "server" is the
    page's HTML response alone (the lazy panels' requests come after it)."""
    import statistics

    from playwright.sync_api import sync_playwright
    from rich.table import Table

    table = Table(title="Board pages (seconds)")
    for col in ("page", "first load", "server (first)", "median", "server (median)"):
        table.add_column(col, justify="left" if col == "page" else "right")
    with _local_server() if url is None else _given(url) as base:
        pages = list(PAGES)
        rep = _first_rep(base)
        if rep:
            pages.insert(4, ("rep", f"/team/rep?rep={quote(rep)}"))
        pages.append(("wall", "/wall?rotate=0&refresh=0"))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            for name, path in pages:
                sep = "&" if "?" in path else "?"
                target = f"{base}{path}{sep}lang=zh" + (f"&{query}" if query else "")
                loads, servers = [], []
                for _ in range(runs + 1):
                    page.goto(target)
                    page.wait_for_selector("body[data-ready='1']", timeout=120_000)
                    loads.append(page.evaluate("() => window.__readyAt") / 1000)
                    servers.append(
                        page.evaluate(
                            "() => { const n = performance.getEntriesByType('navigation')[0];"
                            " return n.responseEnd - n.requestStart; }"
                        )
                        / 1000
                    )
                table.add_row(
                    name,
                    f"{loads[0]:.3f}",
                    f"{servers[0]:.3f}",
                    f"{statistics.median(loads[1:]):.3f}",
                    f"{statistics.median(servers[1:]):.3f}",
                )
            browser.close()
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``salesops`` app."""
    app.command()(screenshots)
    app.command("page-timings")(page_timings)
