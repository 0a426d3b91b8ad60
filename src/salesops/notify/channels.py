"""Notification channels: each vendor's envelope, signature, limits and answer, in one place.

* DingTalk group robot — markdown; signed mode: ``timestamp`` (ms) and
  ``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))`` in the
  query string; answer ``{"errcode": 0}``; 20 messages a minute per robot; 20,000 bytes.
* WeCom (企业微信) group robot — markdown ``content`` of at most 4,096 bytes; answer
  ``{"errcode": 0}``; 20 messages a minute.
* Feishu/Lark custom bot — an interactive card with a markdown element; signed mode:
  ``sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))`` with ``timestamp`` in
  seconds, both in the body; answer ``{"code": 0}``; 100 a minute and 5 a second; 20 KB body.
* Slack incoming webhook — ``blocks`` (header, sections of at most 3,000 characters) and a
  ``text`` fallback; answer ``ok``; about one message a second.
* Generic webhook — the alert as JSON; ``X-SalesOps-Signature: sha256=HEX`` where HEX is
  HMAC-SHA256(secret, f"{timestamp}.{body}") and ``X-SalesOps-Timestamp``; an
  ``Idempotency-Key`` header the receiver can use to drop a repeat.
* E-mail — SMTP with STARTTLS (verified against the system's or a given CA file), optional
  login, a multipart message with plain-text and HTML parts and a stable ``Message-ID``.

Webhook URLs, signing secrets and the SMTP password are sealed with
:mod:`salesops.auth.secretbox`; only a hint (host and last characters) is ever shown or
logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote_plus, urlsplit

from salesops.notify.render import Message, cut_bytes

ChannelKind = Literal["dingtalk", "wecom", "feishu", "slack", "webhook", "email"]
KINDS: tuple[str, ...] = ("dingtalk", "wecom", "feishu", "slack", "webhook", "email")

#: (messages, seconds) a channel may send, as each vendor documents it.
RATE_LIMITS: dict[str, list[tuple[int, int]]] = {
    "dingtalk": [(20, 60)],
    "wecom": [(20, 60)],
    "feishu": [(100, 60), (5, 1)],
    "slack": [(1, 1)],
    "webhook": [(60, 60)],
    "email": [(30, 60)],
}
#: vendor answers that mean "too many requests" (retry later, not a failure)
_RATE_CODES = {"dingtalk": {130101}, "wecom": {45009}, "feishu": {11232, 9499}}


class ChannelError(ValueError):
    """A channel that cannot be set up as given."""


@dataclass(frozen=True)
class Outcome:
    """What one attempt did: ``sent``, ``retry`` (timeout, 5xx, rate limit) or ``failed``."""

    status: Literal["sent", "retry", "failed"]
    code: int | None
    detail: str


def hint(kind: str, target: str | None) -> str:
    """What lists show instead of a webhook URL: its host and its last four characters."""
    if not target:
        return ""
    if kind == "email":
        return "••••"
    parts = urlsplit(target)
    return f"{parts.scheme}://{parts.hostname or '?'}/…{target[-4:]}"


def check_target(kind: str, target: str | None, settings: dict[str, Any]) -> None:
    if kind not in KINDS:
        raise ChannelError(f"unknown channel kind {kind!r}; one of: {', '.join(KINDS)}")
    if kind == "email":
        for key in ("host", "from"):
            if not settings.get(key):
                raise ChannelError(f"an e-mail channel needs settings.{key}")
        return
    if not target or urlsplit(target).scheme not in ("http", "https"):
        raise ChannelError("a webhook channel needs an http(s) URL")


# ---------------------------------------------------------------------------- signatures


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (not yet URL-encoded)."""
    text = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), text, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu/Lark's signature: the key is ``timestamp\\nsecret``, the message is empty."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def webhook_sign(secret: str, timestamp_s: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# ---------------------------------------------------------------------------- envelopes


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def build_request(
    kind: str,
    url: str,
    secret: str | None,
    msg: Message,
    *,
    key: str,
    payload: dict[str, Any] | None = None,
    now: float | None = None,
) -> Request:
    """The HTTP request a webhook channel sends for ``msg`` (``key``: idempotency key)."""
    now = time.time() if now is None else now
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
    if kind == "dingtalk":
        if secret:
            ts = int(now * 1000)
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}timestamp={ts}&sign={quote_plus(dingtalk_sign(secret, ts))}"
        title = msg.title[:60]
        raw = _fit(
            msg.markdown,
            19_500,
            lambda t: {"msgtype": "markdown", "markdown": {"title": title, "text": t}},
        )
        return Request(url, raw, headers)
    if kind == "wecom":
        content = cut_bytes(msg.markdown.replace("### ", "## "), 4096)
        return Request(
            url, _json({"msgtype": "markdown", "markdown": {"content": content}}), headers
        )
    if kind == "feishu":
        card = {
            "header": {"title": {"tag": "plain_text", "content": msg.title[:100]}},
            "elements": [{"tag": "markdown", "content": _feishu_md(msg.markdown)}],
        }
        feishu: dict[str, Any] = {"msg_type": "interactive", "card": card}
        if secret:
            ts = int(now)
            feishu = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **feishu}

        def with_content(text: str) -> dict[str, Any]:
            card["elements"] = [{"tag": "markdown", "content": text}]
            return feishu

        return Request(url, _fit(_feishu_md(msg.markdown), 19_500, with_content), headers)
    if kind == "slack":
        chunks = [msg.slack[i : i + 2900] for i in range(0, len(msg.slack), 2900)][:45]
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": msg.title[:150]}}
        ]
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks]
        return Request(url, _json({"text": msg.title, "blocks": blocks}), headers)
    if kind == "webhook":
        data = {"title": msg.title, "text": msg.text, "markdown": msg.markdown, **(payload or {})}
        raw = _json(data)
        ts = int(now)
        headers["X-SalesOps-Timestamp"] = str(ts)
        if secret:
            headers["X-SalesOps-Signature"] = webhook_sign(secret, ts, raw)
        return Request(url, raw, headers)
    raise ChannelError(f"{kind} is not a webhook channel")


def _fit(text: str, limit: int, envelope: Callable[[str], Any]) -> bytes:
    """The JSON body of ``envelope(text)`` within ``limit`` bytes, ``text`` cut as needed
    (JSON escapes make the body longer than the text: newlines, quotes)."""
    size = limit
    while True:
        raw = _json(envelope(cut_bytes(text, size)))
        if len(raw) <= limit or size < 200:
            return raw
        size -= max(len(raw) - limit, size // 20)


def _feishu_md(text: str) -> str:
    # Feishu card markdown has no headings: the card header carries the title
    lines = [ln for ln in text.split("\n\n") if not ln.startswith("### ")]
    return "\n".join(lines)


def judge(kind: str, status: int, body: str) -> Outcome:
    """Whether a vendor's answer means sent, retry later or failed for good."""
    if status >= 500 or status == 429:
        return Outcome("retry", status, f"HTTP {status}")
    if status >= 300:
        return Outcome("failed", status, f"HTTP {status}: {body[:200]}")
    if kind in ("dingtalk", "wecom", "feishu"):
        try:
            answer = json.loads(body or "{}")
        except ValueError:
            return Outcome("failed", status, f"not JSON: {body[:200]}")
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
        if code in (0, None):
            return Outcome("sent", status, "ok")
        text = str(answer.get("errmsg") or answer.get("msg") or "")
        if code in _RATE_CODES.get(kind, set()):
            return Outcome("retry", status, f"rate limited ({code}): {text[:150]}")
        return Outcome("failed", status, f"error {code}: {text[:200]}")
    return Outcome("sent", status, "ok")


def send_http(req: Request, kind: str, timeout: float) -> Outcome:
    import httpx

    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            resp = client.post(req.url, content=req.body, headers=req.headers)
    except httpx.TimeoutException:
        return Outcome("retry", None, "timeout")
    except httpx.TransportError as exc:
        # the URL holds the robot's token: say what happened, never where
        return Outcome("retry", None, f"connection failed: {type(exc).__name__}")
    return judge(kind, resp.status_code, resp.text)


def send_email(
    settings: dict[str, Any],
    password: str | None,
    recipients: list[str],
    msg: Message,
    *,
    key: str,
    timeout: float,
) -> Outcome:
    import smtplib
    import ssl
    from email.message import EmailMessage
    from email.utils import formatdate

    if not recipients:
        return Outcome("failed", None, "no recipients")
    mail = EmailMessage()
    mail["Subject"] = msg.title
    mail["From"] = settings["from"]
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<{key.replace(':', '.')}@salesops>"
    mail.set_content(msg.text)
    mail.add_alternative(msg.html, subtype="html")
    for filename, media_type, data in msg.attachments:
        maintype, _, subtype = media_type.partition(";")[0].strip().partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    context = ssl.create_default_context(cafile=settings.get("ca_file") or None)
    try:
        with smtplib.SMTP(settings["host"], int(settings.get("port", 587)), timeout=timeout) as s:
            s.ehlo()
            if settings.get("starttls", True):
                s.starttls(context=context)
                s.ehlo()
            if settings.get("username"):
                s.login(settings["username"], password or "")
            s.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        status: Literal["retry", "failed"] = (
            "retry" if exc.smtp_code >= 400 and exc.smtp_code < 500 else "failed"
        )
        return Outcome(status, exc.smtp_code, f"SMTP {exc.smtp_code}")
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        return Outcome("retry", None, f"SMTP connection: {type(exc).__name__}")
    return Outcome("sent", 250, "ok")
