"""Topics of the customer's free text: words that many feedback items share.

Chinese text is segmented with jieba (precise mode); other text is split into Latin words.
A topic is a word (two or more Chinese characters, or three or more letters) that is not a
stop word; its weight is the number of items that mention it. Each topic keeps the items
behind it, so the board shows the verbatims, and how many of them came from promoters
(9-10) and detractors (0-6).
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z][A-Za-z'\-]+")
_lock = threading.Lock()
_jieba: Any = None

#: Words too common in feedback to be a topic (Chinese and English).
_STOP_TEXT = """
    我们 你们 他们 没有 一个 一些 这个 那个 这些 非常 比较 还是 就是 但是 因为 所以 如果 已经
    可以 希望 觉得 感觉 有点 一直 目前 整体 总体 还有 以及 而且 或者 不过 时候 问题 情况 方面
    进行 需要 不是 什么 怎么 这样 那样 这么 自己 其他 今年 去年 公司 贵司 客户 产品 合作 服务
    the and for are but not you your with this that have has had was were our they them their
    very too also just than then there here what when where which who will would could should
    been being from into about after before more most much many some such only other over
    all any can did does doing its it's it is be of to in on at by as an or so if no yes
    we us me my i he she his her
    """
STOP_WORDS = frozenset(_STOP_TEXT.split())


def _segmenter() -> Any:
    """jieba, loaded once (its dictionary takes about a second the first time)."""
    global _jieba
    with _lock:
        if _jieba is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # old-style escapes and pkg_resources inside
                import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """The candidate topic words of ``text``, each once, in order of appearance."""
    out: list[str] = []
    if _CJK.search(text):
        words: Iterable[str] = _segmenter().cut(text)
    else:
        words = _LATIN.findall(text)
    for raw in words:
        word = raw.strip().lower()
        if _CJK.search(word):
            if len(word) < 2 or not all(_CJK.match(ch) for ch in word):
                continue
        elif not _LATIN.fullmatch(word) or len(word) < 3:
            continue
        if word in STOP_WORDS or word in out:
            continue
        out.append(word)
    if _CJK.search(text):
        # mixed text: Latin words (product names, "API") count too
        out.extend(w.lower() for w in _LATIN.findall(text) if len(w) >= 3 and w.lower() not in out
                   and w.lower() not in STOP_WORDS)  # fmt: skip
    return tuple(out)


@dataclass
class Topic:
    """One topic: the word, the items mentioning it, and their NPS groups."""

    word: str
    count: int = 0
    promoters: int = 0
    detractors: int = 0
    nps_sum: float = 0.0
    nps_n: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def nps(self) -> float | None:
        """NPS of the items that mention this topic and have a score."""
        if not self.nps_n:
            return None
        return round(100.0 * (self.promoters - self.detractors) / self.nps_n, 1)


def topics(rows: Sequence[dict[str, Any]], *, limit: int = 20, keep: int = 50) -> list[Topic]:
    """The ``limit`` most mentioned topics of ``rows`` (each a dict with ``text`` and ``nps``),
    each with up to ``keep`` of its items (newest first when rows come newest first)."""
    found: dict[str, Topic] = {}
    counts: Counter[str] = Counter()
    for row in rows:
        text = row.get("text")
        if not text:
            continue
        nps = row.get("nps")
        for word in tokens(str(text)):
            topic = found.get(word)
            if topic is None:
                topic = found[word] = Topic(word)
            topic.count += 1
            counts[word] += 1
            if nps is not None:
                topic.nps_n += 1
                topic.nps_sum += float(nps)
                if nps >= 9:
                    topic.promoters += 1
                elif nps <= 6:
                    topic.detractors += 1
            if len(topic.items) < keep:
                topic.items.append(row)
    return [found[w] for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
