"""The markdown a DingTalk, WeCom or Feishu receiver got, rendered as a chat client would (a
CommonMark renderer, in Chromium): a heading, the facts, the contributors as a list and two
working links, and no markup from the data. Screenshots go to /work/notes/shots/alerts/."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from markdown_it import MarkdownIt
from playwright.sync_api import Browser

from salesops.notify.outbox import deliver_due, save_channel, subscribe
from tests.alerts.receivers import SECRET, http_receiver
from tests.alerts.test_alerts_browser import SHOTS
from tests.alerts.test_delivery import ACTOR, NOW, POLICY, RULE
from tests.alerts.test_rules import TODAY, _sales
from tests.analysis.data import build
from tests.browser import chromium
from tests.conftest import Db

pytestmark = pytest.mark.browser

BUBBLE = """<!doctype html><html><meta charset="utf-8"><style>
body {{ background: #eef0f3; font: 14px/1.6 "Noto Sans CJK SC", "PingFang SC", sans-serif;
  margin: 0; padding: 24px; }}
.who {{ color: #8a8f99; font-size: 12px; margin: 0 0 4px 52px; }}
.row {{ display: flex; gap: 10px; align-items: flex-start; }}
.avatar {{ width: 40px; height: 40px; border-radius: 8px; background: {color}; color: #fff;
  display: flex; align-items: center; justify-content: center; font-weight: 700; }}
.bubble {{ background: #fff; border-radius: 8px; padding: 10px 16px; max-width: 560px;
  box-shadow: 0 1px 2px rgba(0,0,0,.1); }}
.bubble h3 {{ margin: 4px 0 8px; font-size: 16px; }}
.bubble p {{ margin: 4px 0; }} .bubble ul {{ margin: 2px 0; padding-left: 20px; }}
.bubble a {{ color: #3370ff; text-decoration: none; }}
</style><body><p class="who">{robot} · {vendor}</p><div class="row"><div class="avatar">{mark}</div>
<div class="bubble">{body}</div></div></body></html>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def test_received_markdown_renders_as_the_receiver_shows_it(db: Db, browser: Browser) -> None:
    from salesops.alerts import service
    from salesops.alerts.rules import parse_rule
    from salesops.alerts.store import save_rules
    from salesops.metrics.engine import MetricsEngine

    ids = _sales(db)
    with build(db.engine) as b:
        b.ids.update(ids)
        b.customer("[点我](http://evil.example) *Acme*")  # imported text with markup
        b.order(
            "n9", "2025-11-20", "[点我](http://evil.example) *Acme*", 1, rep="R2", region="East"
        )
    with http_receiver() as rec:
        paths = {
            "dingtalk": "/dingtalk/robot/send?access_token=t",
            "wecom": "/wecom/cgi-bin/webhook/send?key=k",
            "feishu": "/feishu/open-apis/bot/v2/hook/h",
        }
        for kind, path in paths.items():
            secret = SECRET if kind != "wecom" else None
            save_channel(db.engine, kind, kind, target=rec.url + path, secret=secret, actor=ACTOR)
            subscribe(db.engine, kind, kind="all", actor=ACTOR)
        rule = {**RULE, "contributors_by": "customer", "op": "<", "value": 2000}
        save_rules(db.engine, [parse_rule(rule)], ACTOR)
        service.run(
            db.engine,
            now=NOW,
            force=True,
            deliver=False,
            metrics=MetricsEngine(db.engine, today=TODAY),
        )
        assert deliver_due(db.engine, POLICY, now=NOW)["sent"] == 3
        received = {g.path.strip("/").split("/")[0]: g.json() for g in rec.accepted()}
    texts = {
        "dingtalk": received["dingtalk"]["markdown"]["text"],
        "wecom": received["wecom"]["markdown"]["content"],
        "feishu": received["feishu"]["card"]["elements"][0]["content"],
    }
    style = {
        "dingtalk": ("钉钉", "#3296fa", "D"),
        "wecom": ("企业微信", "#2b7de9", "W"),
        "feishu": ("飞书", "#00d6b9", "F"),
    }
    for kind, text in texts.items():
        # Feishu's card markdown breaks lines at every newline; the robots' markdown is
        # CommonMark (paragraphs at blank lines)
        md = MarkdownIt("commonmark", {"breaks": kind == "feishu"})
        rendered = md.render(text)
        # the data's markup stays text: no link to evil.example, no emphasis from the name
        assert 'evil.example"' not in rendered and "<em>Acme</em>" not in rendered
        assert rendered.count("<a href=") == 2 and "<li>" in rendered
        assert "区域 East：销售额为 1,001.00，阈值 &lt; 2,000.00" in rendered
        vendor, color, mark = style[kind]
        title = received["feishu"]["card"]["header"]["title"]["content"] if kind == "feishu" else ""
        body = (f"<h3>{html.escape(title)}</h3>" if title else "") + rendered
        page = browser.new_page(viewport={"width": 720, "height": 400})
        page.set_content(
            BUBBLE.format(robot="SalesOps 预警", vendor=vendor, color=color, mark=mark, body=body)
        )
        assert page.locator(".bubble a").count() == 2
        if SHOTS.parent.is_dir() and db.kind == "duckdb":
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / f"message-{kind}.png"), full_page=True)
        page.close()
