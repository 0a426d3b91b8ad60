"""Real local receivers for the channel tests: an HTTP server that checks each vendor's
signature and message body as the vendor documents them, and answers as the vendor does (or
with a fault: 500, a timeout, a dropped connection); and an SMTP server with STARTTLS."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

SECRET = "SEC0123456789abcdef-test-secret"


@dataclass
class Got:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    problem: str | None = None  # what the receiver found wrong (None: all checks passed)

    def json(self) -> Any:
        return json.loads(self.body)


def _check_dingtalk(got: Got) -> str | None:
    ts = got.query.get("timestamp", [""])[0]
    sign = got.query.get("sign", [""])[0]
    if not ts or not sign:
        return "dingtalk: no timestamp/sign"
    # DingTalk: HMAC-SHA256(key=secret, msg="timestamp\nsecret"), base64, URL-encoded
    want = base64.b64encode(
        hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    if unquote_plus(sign) != want and sign != want:
        return "dingtalk: bad sign"
    if abs(int(ts) - time.time() * 1000) > 3600_000:
        return "dingtalk: timestamp more than an hour off"
    body = got.json()
    if body.get("msgtype") != "markdown" or not body["markdown"].get("title"):
        return "dingtalk: not a markdown message"
    if len(got.body) > 20_000:
        return "dingtalk: body over 20,000 bytes"
    return None


def _check_wecom(got: Got) -> str | None:
    body = got.json()
    if body.get("msgtype") != "markdown":
        return "wecom: not markdown"
    if len(body["markdown"]["content"].encode()) > 4096:
        return "wecom: content over 4096 bytes"
    return None


def _check_feishu(got: Got) -> str | None:
    body = got.json()
    ts = body.get("timestamp")
    # Feishu: HMAC-SHA256(key="timestamp\nsecret", msg=""), base64
    want = base64.b64encode(
        hmac.new(f"{ts}\n{SECRET}".encode(), b"", hashlib.sha256).digest()
    ).decode()
    if body.get("sign") != want:
        return "feishu: bad sign"
    if abs(int(ts) - time.time()) > 3600:
        return "feishu: timestamp more than an hour off"
    if body.get("msg_type") != "interactive" or not body["card"]["elements"]:
        return "feishu: not a card"
    return None


def _check_slack(got: Got) -> str | None:
    body = got.json()
    blocks = body.get("blocks") or []
    if not body.get("text") or not blocks or blocks[0]["type"] != "header":
        return "slack: no text fallback or header block"
    if any(len(b.get("text", {}).get("text", "")) > 3000 for b in blocks) or len(blocks) > 50:
        return "slack: block over the limits"
    return None


def _check_webhook(got: Got) -> str | None:
    ts = got.headers.get("x-salesops-timestamp", "")
    sig = got.headers.get("x-salesops-signature", "")
    want = (
        "sha256="
        + hmac.new(SECRET.encode(), f"{ts}.".encode() + got.body, hashlib.sha256).hexdigest()
    )
    if not hmac.compare_digest(sig, want):
        return "webhook: bad signature"
    return None


CHECKS = {
    "dingtalk": _check_dingtalk,
    "wecom": _check_wecom,
    "feishu": _check_feishu,
    "slack": _check_slack,
    "webhook": _check_webhook,
}
OK = {
    "dingtalk": b'{"errcode":0,"errmsg":"ok"}',
    "wecom": b'{"errcode":0,"errmsg":"ok"}',
    "feishu": b'{"code":0,"msg":"success","data":{}}',
    "slack": b"ok",
    "webhook": b'{"ok":true}',
}


@dataclass
class Receiver:
    """Requests are checked by the vendor in the path's first segment (``/dingtalk/...``).
    ``faults`` are used one per request first: ``500``, ``timeout``, ``drop``, ``hang``."""

    url: str = ""
    got: list[Got] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    hang: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)

    def accepted(self) -> list[Got]:
        """Requests answered as delivered (checks passed, no fault)."""
        return [g for g in self.got if g.problem is None]

    def keys(self) -> list[str]:
        return [g.headers.get("idempotency-key", "") for g in self.accepted()]


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    rec = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            got = Got(
                parts.path,
                parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            with lock:
                fault = rec.faults.pop(0) if rec.faults else None
            if fault == "hang":
                got.problem = "hung"
                rec.got.append(got)
                rec.arrived.set()
                rec.hang.wait(30)
                self.connection.close()
                return
            if fault == "drop":
                got.problem = "dropped"
                rec.got.append(got)
                self.connection.shutdown(socket.SHUT_RDWR)
                self.connection.close()
                return
            if fault == "timeout":
                got.problem = "timed out"
                rec.got.append(got)
                time.sleep(1.5)
                return
            vendor = parts.path.strip("/").split("/")[0]
            if fault == "500":
                got.problem = "answered 500"
                rec.got.append(got)
                self._answer(500, b"busy")
                return
            got.problem = CHECKS[vendor](got)
            rec.got.append(got)
            if got.problem:
                self._answer(
                    200,
                    json.dumps({"errcode": 310000, "code": 19021, "errmsg": got.problem}).encode(),
                )
            else:
                self._answer(200, OK[vendor])

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    rec.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        rec.hang.set()
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------- SMTP


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost and its key (PEM files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Mailbox:
    port: int
    ca_file: Path
    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    tls_seen: list[bool] = field(default_factory=list)


@contextmanager
def smtp_receiver(tmp: Path) -> Iterator[Mailbox]:
    """aiosmtpd on a free port that requires STARTTLS before any mail."""
    import ssl

    from aiosmtpd.controller import Controller

    cert, key = self_signed(tmp)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox(port=port, ca_file=cert)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.tls_seen.append(session.ssl is not None)
            box.messages.append(
                (
                    list(envelope.rcpt_tos),
                    message_from_bytes(envelope.content, policy=policy.default),
                )
            )
            return "250 OK"

    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
