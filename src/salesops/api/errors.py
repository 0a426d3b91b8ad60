"""The error answers of the JSON API, declared on each route so that the OpenAPI schema
documents every status a client can get (a schema-driven client or fuzzer may rely on it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """Why the request failed, in one sentence."""

    detail: str


class Invalid(BaseModel):
    """Parameters that fail validation (a list of errors, one per parameter) or a value that
    cannot be read (one sentence)."""

    detail: str | list[dict[str, Any]] = Field(
        description="a message, or FastAPI's list of validation errors"
    )


_WHY = {
    400: "Bad parameters (the message says which)",
    401: "Not signed in, or the token is wrong, expired or revoked",
    403: "The caller's role does not allow this, or a read-only token tried to write",
    404: "No such item, or it is outside the caller's data scope",
    409: "The request conflicts with the data (the message says how)",
    413: "The uploaded file is larger than the server accepts",
    422: "A parameter or the body cannot be read",
    500: "The server could not do it (the message says why; nothing was written)",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route decorator or router: these error statuses, each with its
    schema and description."""
    return {
        code: {"model": Invalid if code == 422 else Problem, "description": _WHY[code]}
        for code in codes
    }


#: Every route that needs a signed-in caller.
AUTH = responses(401, 403)
