"""An alert as a message: title, markdown (DingTalk/WeCom/Feishu), Slack mrkdwn, plain text and
HTML. Rendering only: :mod:`salesops.notify.channels` knows each vendor's envelope and limits.

Text that came from imported data (customer, deal and rep names) is escaped for the target
format: HTML-escaped in e-mail, markdown control characters neutralised in markdown."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from salesops.alerts.words import DIMS, SEVERITY, number

#: Markdown control characters in text from the data, swapped for look-alikes: robots render
#: backslash escapes inconsistently (DingTalk shows them), look-alikes read the same everywhere.
_INERT = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "*": "∗",
        "_": "＿",
        "`": "ˋ",
        "|": "｜",
        "~": "～",
        "#": "＃",
        "\\": "＼",
    }
)
_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def md(text: Any) -> str:
    """Imported text made inert in markdown (no links, emphasis or HTML from the data)."""
    return _TAG.sub("‹", str(text).translate(_INERT)).replace("\n", " ")


@dataclass(frozen=True)
class Message:
    title: str
    markdown: str
    slack: str
    text: str
    html: str
    link: str
    #: files an e-mail carries: (file name, media type, bytes); robots get the link only
    attachments: tuple[tuple[str, str, bytes], ...] = ()


_L = {
    "rule": ("规则", "Rule"),
    "result": ("结果", "Result"),
    "period": ("期间", "Period"),
    "scope": ("范围", "Scope"),
    "contributors": ("主要贡献", "Top contributors"),
    "items": ("明细", "Items"),
    "more": ("另有 {n} 项", "{n} more"),
    "open": ("在看板中查看", "Open in the board"),
    "ack": ("确认 / 暂缓", "Acknowledge / snooze"),
    "test": ("测试消息：通道配置正确。", "Test message: the channel is set up correctly."),
}


def _t(key: str, zh: bool) -> str:
    return _L[key][0 if zh else 1]


def _contributor(c: dict[str, Any], unit: str, zh: bool) -> str:
    dim = DIMS.get(c.get("dim", ""), ("", ""))[0 if zh else 1]
    line = f"{dim} {c['name']}: {number(c.get('value'), unit)}"
    if c.get("delta") is not None:
        line += f" ({number(c.get('baseline'), unit)} → {number(c.get('value'), unit)})"
    return line


def _item(it: dict[str, Any], zh: bool) -> str:
    parts = [str(it.get("name") or "–")]
    if it.get("customer"):
        parts.append(str(it["customer"]))
    if it.get("stage"):
        days = it.get("days_in_stage")
        parts.append(f"{it['stage']} {days}{'天' if zh else ' days'}")
    if it.get("status"):
        parts.append(it["status"])
    if it.get("from"):
        parts.append(f"{it['from']} → {it['to']}")
    if it.get("reasons"):
        parts.append("/".join(it["reasons"]))
    if it.get("amount") is not None:
        parts.append(number(it["amount"], "money"))
    return " · ".join(parts)


def render(alert: dict[str, Any], locale: str, base_url: str) -> Message:
    """The message for one alert (``alert`` as :func:`salesops.alerts.store.alert_rows` gives)."""
    zh = not locale.lower().startswith("en")
    lang = "zh" if zh else "en"
    ex = alert["explanation"]
    sev = SEVERITY.get(alert["severity"], (alert["severity"],) * 2)[0 if zh else 1]
    rule_words = ex["rule"][lang]
    title = f"【{sev}】{ex['rule']['name']}"
    unit = ex.get("unit", "money")
    period = ex["period"]
    lines: list[tuple[str, str]] = [
        (_t("rule", zh), rule_words),
        (_t("result", zh), ex["what"][lang]),
        (_t("period", zh), f"{period['label']} ({period['start']} – {period['end']})"),
        (_t("scope", zh), ex["scope"][lang]),
    ]
    bullets: list[str] = []
    head = ""
    if ex.get("contributors"):
        head = _t("contributors", zh)
        bullets = [_contributor(c, unit, zh) for c in ex["contributors"]]
    elif ex.get("items"):
        head = _t("items", zh)
        bullets = [_item(it, zh) for it in ex["items"]]
        if ex.get("items_more"):
            bullets.append(_t("more", zh).format(n=ex["items_more"]))
    link = base_url.rstrip("/") + (alert.get("link") or "/")
    ack = f"{base_url.rstrip('/')}/alerts?focus={alert['id']}"

    mdl = [f"### {md(title)}"] + [f"**{k}**: {md(v)}" for k, v in lines]
    if bullets:
        mdl.append(f"**{head}**:")
        mdl += [f"- {md(b)}" for b in bullets]
    mdl.append(f"[{_t('open', zh)}]({link}) · [{_t('ack', zh)}]({ack})")
    markdown = "\n\n".join(mdl)

    sl = [f"*{k}*: {_slack(v)}" for k, v in lines]
    if bullets:
        sl.append(f"*{head}*:")
        sl += [f"• {_slack(b)}" for b in bullets]
    sl.append(f"<{link}|{_t('open', zh)}> · <{ack}|{_t('ack', zh)}>")
    slack = "\n".join(sl)

    tl = [title] + [f"{k}: {v}" for k, v in lines]
    if bullets:
        tl.append(f"{head}:")
        tl += [f"  - {b}" for b in bullets]
    tl += [f"{_t('open', zh)}: {link}", f"{_t('ack', zh)}: {ack}"]
    text = "\n".join(tl)

    e = html.escape
    hl = [f"<h2>{e(title)}</h2>", "<table>"]
    hl += [f"<tr><th align=left>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in lines]
    hl.append("</table>")
    if bullets:
        hl.append(f"<p><b>{e(head)}</b></p><ul>")
        hl += [f"<li>{e(b)}</li>" for b in bullets]
        hl.append("</ul>")
    opened = f'<a href="{e(link)}">{e(_t("open", zh))}</a>'
    hl.append(f'<p>{opened} · <a href="{e(ack)}">{e(_t("ack", zh))}</a></p>')
    page = _html_page("\n".join(hl), "zh-CN" if zh else "en")
    return Message(title=title, markdown=markdown, slack=slack, text=text, html=page, link=link)


def _html_page(body: str, lang: str) -> str:
    return f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><body>{body}</body></html>'


def _slack(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_message(channel_name: str, locale: str, base_url: str) -> Message:
    zh = not locale.lower().startswith("en")
    title = f"SalesOps Board: {channel_name}"
    body = _t("test", zh)
    link = base_url.rstrip("/") + "/alerts"
    return Message(
        title=title,
        markdown=f"### {md(title)}\n\n{body}\n\n[{_t('open', zh)}]({link})",
        slack=f"*{_slack(title)}*\n{body}\n<{link}|{_t('open', zh)}>",
        text=f"{title}\n{body}\n{link}",
        html=_html_page(f"<h2>{html.escape(title)}</h2><p>{body}</p>", "zh-CN" if zh else "en"),
        link=link,
    )


def cut_bytes(text: str, limit: int, tail: str = "\n\n…") -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (on a character boundary), marked."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    keep = raw[: max(limit - len(tail.encode("utf-8")), 0)].decode("utf-8", errors="ignore")
    return keep + tail


def digest(alerts: list[dict[str, Any]], locale: str, base_url: str, group: str) -> Message:
    """Several alerts of one team (or recipient) as one message: a head line with the count and
    the alerts page, then each alert as :func:`render` words it. Vendors' size limits cut the
    end; the head keeps the link to every alert."""
    zh = not locale.lower().startswith("en")
    parts = [render(a, locale, base_url) for a in alerts]
    n = len(alerts)
    title = f"【预警汇总】{group}：{n} 条" if zh else f"[Alert digest] {group}: {n} alerts"
    if not group:
        title = f"【预警汇总】{n} 条" if zh else f"[Alert digest] {n} alerts"
    page = f"{base_url.rstrip('/')}/alerts?focus={alerts[0]['id']}"
    opened = _t("open", zh)
    head_md = f"### {md(title)}\n\n[{opened}]({page})"
    markdown = "\n\n".join([head_md, *(p.markdown.replace("### ", "#### ", 1) for p in parts)])
    slack = "\n\n".join([f"*{_slack(title)}* <{page}|{opened}>", *(p.slack for p in parts)])
    text = "\n\n".join([f"{title}\n{opened}: {page}", *(p.text for p in parts)])
    e = html.escape
    bodies = [p.html.split("<body>", 1)[1].rsplit("</body>", 1)[0] for p in parts]
    head_html = f'<h1>{e(title)}</h1><p><a href="{e(page)}">{e(opened)}</a></p>'
    html_page = _html_page(head_html + "<hr>".join(bodies), "zh-CN" if zh else "en")
    return Message(
        title=title, markdown=markdown, slack=slack, text=text, html=html_page, link=page
    )
