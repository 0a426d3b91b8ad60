"""Read-your-own-writes across a read replica (see :mod:`salesops.db.replica`).

A pure ASGI middleware: after a successful write (any method but GET, HEAD and OPTIONS,
answered below 400) it adds the primary's WAL position to the answer, as the
``X-SalesOps-Read-After`` header and as a cookie. Reads that bring it back (cookie or header)
are served by the replica only once it has replayed that far (:func:`get_read_engine`). Without
a replica the middleware does nothing.
"""

from __future__ import annotations

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from salesops.db.replica import (
    READ_AFTER_COOKIE,
    READ_AFTER_HEADER,
    READ_AFTER_SECONDS,
    primary_lsn,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadAfterWrite:
    """Stamps successful writes with the primary's WAL position when a replica is in use."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state

        async def send_with_position(message: Message) -> None:
            if (
                message["type"] == "http.response.start"
                and getattr(state, "read_engine", None) is not None
                and message["status"] < 400
            ):
                lsn = await to_thread.run_sync(primary_lsn, state.engine)
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                cookie = (
                    f"{READ_AFTER_COOKIE}={lsn}; Max-Age={READ_AFTER_SECONDS}; Path=/; "
                    f"HttpOnly; SameSite=Lax{secure}"
                )
                message["headers"] = [
                    *message.get("headers", []),
                    (READ_AFTER_HEADER.encode(), lsn.encode()),
                    (b"set-cookie", cookie.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_position)
