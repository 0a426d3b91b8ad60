"""Topics from free text: Chinese through jieba, English by words; verbatims kept."""

from __future__ import annotations

from salesops.feedback.topics import tokens, topics


def test_chinese_is_segmented_and_stop_words_dropped() -> None:
    assert tokens("交付太慢，我们非常失望") == ("交付", "太慢", "失望")


def test_english_words_and_mixed_text() -> None:
    assert tokens("The delivery was late, support was slow") == (
        "delivery", "late", "support", "slow",
    )  # fmt: skip
    assert "api" in tokens("API 接口文档不清楚")


def test_topics_count_items_and_keep_their_verbatims() -> None:
    rows = [
        {"text": "交付太慢", "nps": 2},
        {"text": "交付准时，服务专业", "nps": 10},
        {"text": "交付太慢了", "nps": 5},
        {"text": None, "nps": 9},
    ]
    found = {t.word: t for t in topics(rows)}
    delivery = found["交付"]
    assert (delivery.count, delivery.promoters, delivery.detractors) == (3, 1, 2)
    assert delivery.nps == round(100 * (1 - 2) / 3, 1)
    assert [r["text"] for r in found["太慢"].items] == ["交付太慢", "交付太慢了"]
    # most mentioned first
    assert topics(rows, limit=1)[0].word == "交付"
