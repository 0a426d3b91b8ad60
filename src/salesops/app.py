"""Composition root: the FastAPI application that serves the JSON API and the web board."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from salesops import __version__
from salesops.api.deps import AuthProblem, Require
from salesops.api.read_after import ReadAfterWrite
from salesops.api.routes import router as api_router
from salesops.auth.roles import Permission
from salesops.config import get_settings
from salesops.db.engine import make_engine
from salesops.db.replica import make_read_engine
from salesops.web.alerts_page import router as alerts_pages_router
from salesops.web.auth_pages import router as auth_pages_router
from salesops.web.customer_page import router as customer_pages_router
from salesops.web.forecast_page import router as forecast_pages_router
from salesops.web.pages import router as pages_router
from salesops.web.people_page import router as people_pages_router
from salesops.web.reports_page import router as reports_pages_router
from salesops.web.security import SecurityHeaders
from salesops.web.targets_page import router as targets_pages_router

WEB_DIR = Path(__file__).parent / "web"
OPENAPI_URL = "/api/v1/openapi.json"


def vendor_dir() -> Path:
    """Where npm installed the front-end libraries (``node_modules`` of the checkout)."""
    import os

    configured = os.environ.get("SALESOPS_ASSETS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "node_modules"


async def _auth_problem(request: Request, exc: Exception) -> Response:
    """401/403 as JSON for the API; for pages, the sign-in page (401) or a plain refusal."""
    assert isinstance(exc, AuthProblem)
    if request.url.path.startswith("/api/"):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.reason}, status_code=exc.status, headers=headers)
    if exc.status == 401 and request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
    from salesops.web.i18n import translate
    from salesops.web.render import render, request_locale

    locale = request_locale(request)
    message = {
        "sign in first": "Please sign in first.",
        "missing or wrong CSRF token": "This form expired. Go back, reload the page and try again.",
        "read-only token": "A read-only token cannot change anything.",
    }.get(exc.reason, "Your role does not allow this page or action.")
    return render(
        request,
        "auth/message.html",
        status_code=exc.status,
        page_title=translate(locale, "Not allowed" if exc.status == 403 else "Sign in"),
        message=translate(locale, message),
    )


def create_app(engine: Engine | None = None, read_engine: Engine | None = None) -> FastAPI:
    """Build the application; ``engine`` defaults to the configured database and
    ``read_engine`` (a read replica) to ``SALESOPS_READ_DATABASE_URL`` when that is set."""
    app = FastAPI(
        title="SalesOps Board API",
        version=__version__,
        description=(
            "KPIs, pipeline, customers and targets of SalesOps Board (销售运营看板). "
            "Send `Authorization: Bearer TOKEN` (`salesops tokens create`); every answer is "
            "limited to the token user's data scope."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    app.state.engine = engine or make_engine()
    if read_engine is None and engine is None:
        read_engine = make_read_engine(app.state.engine, get_settings().read_database_url)
    app.state.read_engine = read_engine
    app.add_middleware(ReadAfterWrite)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(AuthProblem, _auth_problem)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(auth_pages_router)
    app.include_router(customer_pages_router)  # before pages: /customers/{id}
    app.include_router(pages_router)
    app.include_router(targets_pages_router)
    app.include_router(alerts_pages_router)
    app.include_router(reports_pages_router)  # issue #26
    app.include_router(forecast_pages_router)
    app.include_router(people_pages_router)  # issue #27

    @app.get("/api/docs", include_in_schema=False, dependencies=[Require(Permission.PUBLIC)])
    def api_docs() -> HTMLResponse:
        """Interactive API documentation (Swagger UI)."""
        return get_swagger_ui_html(openapi_url=OPENAPI_URL, title="SalesOps Board API")

    @app.get("/favicon.ico", include_in_schema=False, dependencies=[Require(Permission.PUBLIC)])
    def favicon() -> RedirectResponse:
        """Browsers ask for /favicon.ico on pages that name no icon (JSON, files): the board's."""
        return RedirectResponse("/static/favicon.svg", status_code=301)

    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    vendor = vendor_dir()
    if vendor.is_dir():
        app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
    return app
