"""Every text a template shows through ``_()`` has its 简体中文 translation in the catalog."""

from __future__ import annotations

import re
from pathlib import Path

from salesops.web.i18n import catalog

TEMPLATES = Path(__file__).parents[2] / "src" / "salesops" / "web" / "templates"
LITERAL = re.compile(r"""_\(\s*(["'])((?:(?!\1).)+)\1\s*[,)]""")


def test_every_template_text_is_translated() -> None:
    zh = catalog("zh_CN")
    shown = {
        (str(path.relative_to(TEMPLATES)), text)
        for path in TEMPLATES.rglob("*.html")
        for _, text in LITERAL.findall(path.read_text(encoding="utf-8"))
    }
    assert len(shown) > 150  # the pattern finds the templates' texts
    assert sorted(f"{path}: {text}" for path, text in shown if text not in zh) == []
