"""Server-rendered pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from salesops.api.deps import EngineDep
from salesops.api.routes import entity_counts
from salesops.web.i18n import LOCALES, negotiate, translate

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)

LANG_COOKIE = "salesops_lang"


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """Render ``template`` in the caller's language, remembering an explicit ?lang= choice."""
    query_lang = request.query_params.get("lang")
    locale = negotiate(
        query_lang, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
    )

    def _(message: str, **params: object) -> str:
        return translate(locale, message, **params)

    response = templates.TemplateResponse(
        request,
        template,
        {"_": _, "locale": locale, "locales": LOCALES, "lang": locale.split("_")[0], **context},
    )
    if query_lang:
        response.set_cookie(LANG_COOKIE, locale, httponly=True, samesite="lax", max_age=31536000)
    return response


ENTITY_LABELS = {
    "org_unit": "Org units",
    "rep": "Sales reps",
    "product": "Products",
    "customer": "Customers",
    "pipeline_stage": "Pipeline stages",
    "opportunity": "Opportunities",
    "opportunity_change": "Opportunity changes",
    "lead": "Leads",
    "order": "Orders",
    "order_line": "Order lines",
    "payment": "Payments",
    "activity": "Activities",
    "feedback": "Feedback",
    "marketing_spend": "Marketing spend",
    "market_size": "Market size",
    "target": "Targets",
    "announcement": "Announcements",
}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, engine: EngineDep) -> HTMLResponse:
    """Landing page: what the database holds, live."""
    counts = entity_counts(engine)
    rows = [(name, ENTITY_LABELS.get(name, name), n) for name, n in counts.counts.items()]
    return render(request, "home.html", rows=rows, data_version=counts.data_version)
