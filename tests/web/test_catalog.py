"""Every text a template shows through ``_()`` has its 简体中文 translation in the catalog."""

from __future__ import annotations

import re
from pathlib import Path

from salesops.web.i18n import TRANSLATIONS, catalog

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


def test_no_text_is_defined_twice() -> None:
    """A msgid defined twice makes ``msgfmt`` refuse the catalog and lets the second translation
    silently win; branches that each add the same text must keep one."""
    po = TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po"
    entries: list[str] = []
    current: list[str] | None = None
    context = ""
    for line in po.read_text(encoding="utf-8").splitlines():
        if current is not None and line.startswith('"'):
            current.append(line)
            continue
        if current is not None:
            entries.append("".join(current))
            current = None
        if line.startswith("msgctxt "):
            context = line
        elif line.startswith("msgid "):
            current = [context, line]
            context = ""
    repeated = sorted({entry for entry in entries if entries.count(entry) > 1})
    assert len(entries) > 500
    assert repeated == []
