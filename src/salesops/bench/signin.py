"""What signing in costs a page: the same warm board page served to the same admin, once
with the caller resolved from the database (a session cookie, a bearer token) and once with
that step replaced by a fixed caller (the board as it was before sign-in existed), in
interleaved rounds in one process, so the difference is the sign-in's own cost."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

PAGE = "/?period=year&lang=zh"


@dataclass(frozen=True)
class SignInCost:
    rounds: int
    page_fixed_ms: float  # median: caller fixed, no sign-in lookups
    page_session_ms: float  # median: session cookie resolved per request
    page_token_ms: float  # median: bearer token resolved per request
    resolve_session_ms: float  # median of the session lookup alone
    resolve_token_ms: float  # median of the token lookup alone

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def run_signin_bench(engine: Engine, rounds: int = 50) -> SignInCost:
    """Interleaved A/B/C rounds over a warm page (see the module docstring)."""
    from fastapi.testclient import TestClient

    from salesops.api.deps import SESSION_COOKIE, get_principal
    from salesops.app import create_app
    from salesops.auth import sessions, tokens, users
    from salesops.auth.audit import Actor
    from salesops.auth.principal import from_session
    from salesops.auth.tokens import verify_token

    actor = Actor("bench")
    login = "bench-admin"
    if login not in {u.username for u in users.list_users(engine)}:
        users.add_user(engine, login, role="admin", actor=actor)
    secret, _ = tokens.create_token(engine, login, name="bench", actor=actor)
    link = sessions.create_sign_in_link(engine, login, actor=actor)
    cookie, session = sessions.use_sign_in_link(engine, link)

    fixed_app = create_app(engine)
    fixed = from_session(session, "127.0.0.1")
    fixed_app.dependency_overrides[get_principal] = lambda: fixed
    plain = TestClient(fixed_app)
    with_session = TestClient(create_app(engine), cookies={SESSION_COOKIE: cookie})
    with_token = TestClient(create_app(engine), headers={"Authorization": f"Bearer {secret}"})
    for client in (plain, with_session, with_token):  # warm: every panel cached
        assert client.get(PAGE).status_code == 200

    def timed(fn: Callable[[], object]) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    page: dict[str, list[float]] = {"fixed": [], "session": [], "token": []}
    resolve: dict[str, list[float]] = {"session": [], "token": []}
    for _ in range(rounds):
        page["fixed"].append(timed(lambda: plain.get(PAGE)))
        page["session"].append(timed(lambda: with_session.get(PAGE)))
        page["token"].append(timed(lambda: with_token.get(PAGE)))
        resolve["session"].append(timed(lambda: sessions.load_session(engine, cookie)))
        resolve["token"].append(timed(lambda: verify_token(engine, secret)))
    return SignInCost(
        rounds=rounds,
        page_fixed_ms=_median_ms(page["fixed"]),
        page_session_ms=_median_ms(page["session"]),
        page_token_ms=_median_ms(page["token"]),
        resolve_session_ms=_median_ms(resolve["session"]),
        resolve_token_ms=_median_ms(resolve["token"]),
    )
