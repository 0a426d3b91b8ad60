"""Translations: English message ids, 简体中文 from the gettext catalog (read at start-up).

The catalog is ``translations/zh_CN/LC_MESSAGES/messages.po``; it is parsed with Babel when the
app starts, so no compiled ``.mo`` file is kept in the repository.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parent / "translations"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


@lru_cache
def catalog(locale: str) -> dict[str, str]:
    """msgid -> translation for ``locale`` (empty for English, whose ids are the text)."""
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        po = read_po(fh, locale=locale)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


def translate(locale: str, message: str, **params: object) -> str:
    """The text of ``message`` in ``locale``, with ``{name}`` placeholders filled in."""
    text = catalog(locale).get(message, message)
    return text.format(**params) if params else text


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    """Pick the UI language: ?lang=, then the cookie, then the browser's Accept-Language."""
    for candidate in (query_lang, cookie_lang):
        if candidate:
            found = _match(candidate)
            if found:
                return found
    if accept_language:
        for part in accept_language.split(","):
            found = _match(part.split(";")[0].strip())
            if found:
                return found
    return DEFAULT_LOCALE


def _match(tag: str) -> str | None:
    tag = tag.lower().replace("-", "_")
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None
