"""Every front-end library installed from npm is used by the board (none carried for nothing)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_npm_dependency_is_used_by_the_pages() -> None:
    deps = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    web = ROOT / "src" / "salesops" / "web"
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for p in web.rglob("*")
        if p.suffix in {".py", ".html", ".js"} and p.is_file()
    )
    unused = [name for name in deps if name not in sources]
    # htmx was installed and never loaded by a page: the board's dynamic parts are JSON drawn
    # by ECharts, which htmx (HTML swaps) does not replace, so it was dropped.
    assert unused == []
