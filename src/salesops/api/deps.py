"""Typed dependencies every route states in its signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from salesops.metrics.scope import FULL_SCOPE, Scope


def get_engine(request: Request) -> Engine:
    """The application's database engine."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_scope(request: Request) -> Scope:
    """The caller's data scope. Full scope until users and login exist (SPEC §7): login will
    change this one function, and every route and page follows."""
    return FULL_SCOPE


ScopeDep = Annotated[Scope, Depends(get_scope)]
