"""Composition root: the FastAPI application that serves the JSON API and the web board."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from salesops import __version__
from salesops.api.routes import router as api_router
from salesops.db.engine import make_engine
from salesops.web.pages import router as pages_router
from salesops.web.targets_page import router as targets_pages_router

WEB_DIR = Path(__file__).parent / "web"


def vendor_dir() -> Path:
    """Where npm installed the front-end libraries (``node_modules`` of the checkout)."""
    import os

    configured = os.environ.get("SALESOPS_ASSETS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "node_modules"


def create_app(engine: Engine | None = None) -> FastAPI:
    """Build the application; ``engine`` defaults to the configured database."""
    app = FastAPI(
        title="SalesOps Board API",
        version=__version__,
        description="KPIs, pipeline, customers and targets of SalesOps Board (销售运营看板).",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
    )
    app.state.engine = engine or make_engine()
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(pages_router)
    app.include_router(targets_pages_router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    vendor = vendor_dir()
    if vendor.is_dir():
        app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
    return app
