"""预测 Forecast page: where the quarter will land against its target (with the forecast
categories), a KPI's monthly forecast as a dashed line in a shaded 80 % band next to the
target line, the deals that move the forecast most with their top factors, the accuracy
history of stored forecasts, and forecast calls (reps submit; managers adjust).

Numbers come from :mod:`salesops.forecast.service`. The landing forecast can take tens of
seconds on a large company the first time per data version: the page waits briefly, and when
it is not ready says so and reloads itself; afterwards it is served from memory. Charts are
inline SVG drawn here (numbers and escaped labels only), so the page needs no chart script.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup, escape

from salesops.api.deps import EngineDep, PrincipalDep, Require, ScopeDep
from salesops.auth.roles import Permission as P
from salesops.forecast import service, store
from salesops.targets.calendar import PeriodError, parse_period, period_containing
from salesops.web.filters import today_in_zone
from salesops.web.formatting import format_value
from salesops.web.i18n import translate
from salesops.web.render import render, request_locale, shell

router = APIRouter(include_in_schema=False)

VIEW_KEYS = ("period", "asof", "metric", "region", "grain", "lang")
#: The series forecast per grain: (horizon, periods of history drawn, an axis label every)
SERIES_GRAINS = {"month": (3, 24, 3), "week": (13, 52, 8)}
#: How long a page waits for a forecast that is not kept yet (then it says so and reloads).
WAIT_SECONDS = 1.0
CATEGORY_LABELS = {
    "closed": "Closed won",
    "commit": "Commit",
    "best_case": "Best case",
    "pipeline": "Pipeline",
    "omitted": "Omitted",
}
METHOD_LABELS = {
    "landing": "Landing forecast",
    "stage_weighted": "Closed + stage-weighted pipeline",
    "last_year_growth": "Last year × growth",
    "auto": "Auto (chosen by backtest)",
    "seasonal_naive": "Seasonal naive",
    "ets": "ETS",
    "arima": "ARIMA",
    "theta": "Theta",
}
FACTOR_LABELS = {
    "stage_position": "Stage {stage}",
    "pushes": "{n} close-date pushes",
    "days_in_stage": "{n} days in stage",
    "age_days": "Open {n} days",
    "days_to_close": "Expected close in {n} days",
    "log_amount": "Amount {amount}",
    "owner_win_rate": "Owner's win rate {rate}",
    "owner_closed": "Owner's closed deals: {n}",
    "activities_30d": "{n} activities in 30 days",
    "product_line": "Product line {value}",
    "source_channel": "Source {value}",
}
SERIES_METRICS = {
    "bookings": "Bookings",
    "revenue": "Revenue",
    "orders": "Orders",
    "new_customers": "New customers",
}


class View:
    """This page's parameters, read leniently (bad values fall back to defaults)."""

    def __init__(self, request: Request) -> None:
        q = request.query_params
        self.locale = request_locale(request)
        try:
            self.as_of = dt.date.fromisoformat(q["asof"]) if q.get("asof") else today_in_zone()
        except ValueError:
            self.as_of = today_in_zone()
        self.period_text = (q.get("period") or "").strip()
        try:
            self.period = (
                parse_period(self.period_text)
                if self.period_text
                else period_containing(self.as_of, "quarter")
            )
        except PeriodError:
            self.period = period_containing(self.as_of, "quarter")
        metric = q.get("metric") or "bookings"
        self.metric = metric if metric in SERIES_METRICS else "bookings"
        self.region = (q.get("region") or "").strip()[:100]
        self.grain = "week" if q.get("grain") == "week" else "month"
        self.params = {k: q[k] for k in VIEW_KEYS if q.get(k)}

    def t(self, message: str, **params: object) -> str:
        return translate(self.locale, message, **params)

    def money(self, value: Any) -> str:
        return format_value(value, "money", self.locale)

    def pct(self, value: Any) -> str:
        return format_value(value, "ratio", self.locale)


def _money_or_count(view: View, value: Any) -> str:
    unit = "money" if view.metric in ("bookings", "revenue") else "count"
    return format_value(value, unit, view.locale)


# --------------------------------------------------------------------------- charts


def category_bar(
    view: View,
    categories: dict[str, float],
    target: float | None,
    expected: float,
    low: float,
    high: float,
) -> Markup:
    """Stacked bar closed | commit | best case | pipeline, the 80 % range and the target."""
    parts = [
        (k, float(categories.get(k) or 0.0)) for k in ("closed", "commit", "best_case", "pipeline")
    ]
    top = max(sum(v for _, v in parts), target or 0.0, high, 1.0) * 1.05
    width, x0, bar_w = 720.0, 10.0, 700.0

    def x(v: float) -> float:
        return x0 + bar_w * max(v, 0.0) / top

    out = [
        f'<svg class="catbar" viewBox="0 0 {width:.0f} 78" role="img"'
        f' aria-label="{escape(view.t("Forecast categories"))}">'
    ]
    at = 0.0
    for key, value in parts:
        if value <= 0:
            continue
        out.append(
            f'<rect class="cat-{key}" x="{x(at):.1f}" y="18"'
            f' width="{x(at + value) - x(at):.1f}" height="22">'
            f"<title>{escape(view.t(CATEGORY_LABELS[key]))}:"
            f" {escape(view.money(value))}</title></rect>"
        )
        at += value
    out.append(
        f'<rect class="range" x="{x(low):.1f}" y="46"'
        f' width="{max(x(high) - x(low), 2):.1f}" height="8"/>'
    )
    out.append(
        f'<line class="expected" x1="{x(expected):.1f}" x2="{x(expected):.1f}" y1="42" y2="58"/>'
    )
    out.append(
        f'<text x="{x(expected):.1f}" y="72"'
        f' text-anchor="middle">{escape(view.t("Expected"))}</text>'
    )
    if target:
        out.append(
            f'<line class="target" x1="{x(target):.1f}" x2="{x(target):.1f}" y1="10" y2="60"/>'
        )
        out.append(
            f'<text class="target" x="{x(target):.1f}" y="9"'
            f' text-anchor="middle">{escape(view.t("Target"))}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def series_chart(view: View, s: service.SeriesView) -> Markup:
    """History (solid), forecast (dashed) inside its shaded 80 % band, target (thin line)."""
    _, shown, every = SERIES_GRAINS.get(s.grain, SERIES_GRAINS["month"])
    labels = s.periods[-shown:] + s.forecast_periods
    hist = s.actual[-shown:]
    n_hist = len(hist)
    values = [*hist, *s.mean, *s.low, *s.high, *[s.targets[p] for p in labels if p in s.targets]]
    finite = [v for v in values if math.isfinite(v)]
    lo = min(0.0, min(finite) if finite else 0.0)
    hi = max(finite) if finite else 1.0
    hi = hi if hi > lo else lo + 1.0
    w, h, left, right, top, bottom = 760.0, 260.0, 64.0, 12.0, 14.0, 30.0
    step = (w - left - right) / max(len(labels) - 1, 1)

    def px(i: int) -> float:
        return left + i * step

    def py(v: float) -> float:
        return top + (h - top - bottom) * (1 - (v - lo) / (hi - lo))

    out = [
        f'<svg class="series" viewBox="0 0 {w:.0f} {h:.0f}" role="img"'
        f' aria-label="{escape(view.t("Forecast with 80% interval"))}">'
    ]
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        out.append(
            f'<line class="grid" x1="{left}" x2="{w - right}" y1="{py(v):.1f}" y2="{py(v):.1f}"/>'
        )
        out.append(
            f'<text class="axis" x="{left - 6}" y="{py(v) + 4:.1f}"'
            f' text-anchor="end">{escape(_money_or_count(view, v))}</text>'
        )
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            out.append(
                f'<text class="axis" x="{px(i):.1f}" y="{h - 10}"'
                f' text-anchor="middle">{escape(label)}</text>'
            )
    # band: from the last actual point through the forecast's low/high
    anchor = hist[-1] if hist else (s.mean[0] if s.mean else 0.0)
    upper = [(px(n_hist - 1), py(anchor))] + [(px(n_hist + i), py(v)) for i, v in enumerate(s.high)]
    lower = [
        *[(px(n_hist + i), py(v)) for i, v in enumerate(s.low)][::-1],
        (px(n_hist - 1), py(anchor)),
    ]
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in upper + lower)
    out.append(
        f'<polygon class="band"'
        f' points="{pts}"><title>{escape(view.t("80% interval"))}</title></polygon>'
    )
    line = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(hist))
    out.append(f'<polyline class="actual" points="{line}"/>')
    fc = [(px(n_hist - 1), py(anchor))] + [(px(n_hist + i), py(v)) for i, v in enumerate(s.mean)]
    out.append(
        '<polyline class="forecast" points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in fc) + '"/>'
    )
    for i, v in enumerate(s.mean):
        tip = (
            f"{s.forecast_periods[i]}: {_money_or_count(view, v)}"
            f" ({_money_or_count(view, s.low[i])} – {_money_or_count(view, s.high[i])})"
        )
        out.append(
            f'<circle class="forecast" cx="{px(n_hist + i):.1f}" cy="{py(v):.1f}"'
            f' r="3"><title>{escape(tip)}</title></circle>'
        )
    tpts = [(px(i), py(s.targets[p])) for i, p in enumerate(labels) if p in s.targets]
    if len(tpts) > 1:
        out.append(
            '<polyline class="target" points="'
            + " ".join(f"{a:.1f},{b:.1f}" for a, b in tpts)
            + '"/>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def reliability_chart(view: View, brier: dict[str, Any]) -> Markup:
    """Reliability curves: share won against forecast probability, model and stage."""
    size, pad = 220.0, 28.0

    def p(v: float) -> float:
        return pad + (size - 2 * pad) * v

    out = [
        f'<svg class="reliability" viewBox="0 0 {size:.0f} {size:.0f}" role="img"'
        f' aria-label="{escape(view.t("Reliability curve"))}">',
        f'<line class="diag" x1="{p(0):.1f}" y1="{size - p(0):.1f}" x2="{p(1):.1f}"'
        f' y2="{size - p(1):.1f}"/>',
    ]
    for key, cls in (("reliability_stage", "stage"), ("reliability_model", "model")):
        pts = brier.get(key) or []
        if pts:
            line = " ".join(f"{p(b['mean_p']):.1f},{size - p(b['won_share']):.1f}" for b in pts)
            out.append(f'<polyline class="{cls}" points="{line}"/>')
            for b in pts:
                out.append(
                    f'<circle class="{cls}" cx="{p(b["mean_p"]):.1f}"'
                    f' cy="{size - p(b["won_share"]):.1f}" r="2.5"><title>{b["mean_p"]:.2f}'
                    f" → {b['won_share']:.2f} (n={int(b['count'])})</title></circle>"
                )
    out.append(
        f'<text class="axis" x="{size / 2:.0f}" y="{size - 4:.0f}"'
        f' text-anchor="middle">{escape(view.t("Forecast probability"))}</text>'
    )
    out.append("</svg>")
    return Markup("".join(out))


# --------------------------------------------------------------------------- shaping


def factor_text(view: View, f: dict[str, Any], deal: dict[str, Any]) -> str:
    name = f["feature"]
    value = f["value"]
    template = FACTOR_LABELS.get(name, name)
    if name == "stage_position":
        text = view.t(template, stage=deal.get("stage") or "")
    elif name == "log_amount":
        text = view.t(template, amount=view.money(deal.get("amount")))
    elif name == "owner_win_rate":
        text = view.t(template, rate=view.pct(value))
    elif name in ("product_line", "source_channel"):
        text = view.t(template, value=value if value is not None else "—")
    else:
        n = "—" if value is None else f"{float(value):.0f}"
        text = view.t(template, n=n)
    return view.t("{factor}: {points} pts", factor=text, points=f"{f['points']:+.0f}")


def _deals(view: View, deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for d in deals:
        rows.append(
            {
                "deal": d.get("name") or d.get("external_id"),
                "external_id": d.get("external_id"),
                "owner": d.get("owner") or "—",
                "stage": d.get("stage") or "—",
                "amount": view.money(d.get("amount")),
                "close": d.get("expected_close_on") or "—",
                "p_win": view.pct(d.get("p_win")),
                "p_stage": view.pct(d.get("p_stage")),
                "expected": view.money(d.get("expected")),
                "category": view.t(CATEGORY_LABELS.get(d.get("category") or "", "Omitted")),
                "factors": [factor_text(view, f, d) for f in d.get("factors") or []],
            }
        )
    return rows


def _period_options(view: View) -> list[tuple[str, str]]:
    year = period_containing(view.as_of, "year")
    out: list[tuple[str, str]] = []
    for offset in (-1, 0, 1):
        fy = year.shift_years(offset)
        out += [(q.label(), q.label()) for q in fy.split("quarter")]
    this = period_containing(view.as_of, "month")
    out += [(this.label(), this.label()), (year.label(), year.label())]
    if view.period.label() not in [o[0] for o in out]:
        out.append((view.period.label(), view.period.label()))
    return out


def _back(form_back: str, **extra: str) -> RedirectResponse:
    params = {k: v for k, v in parse_qsl(form_back) if k in VIEW_KEYS}
    params.update(extra)
    return RedirectResponse("/forecast?" + urlencode(params), status_code=303)


# --------------------------------------------------------------------------- routes


@router.get("/forecast", dependencies=[Require(P.VIEW_BOARD)], response_class=HTMLResponse)
def forecast_page(
    request: Request, engine: EngineDep, scope: ScopeDep, principal: PrincipalDep
) -> HTMLResponse:
    """预测: landing vs target, series with bands, top deals, accuracy, calls."""
    view = View(request)
    error = request.query_params.get("err")
    land = None
    try:
        land = service.landing_view(
            engine, scope, view.period, view.as_of, wait=WAIT_SECONDS, actor=principal.actor
        )
    except (ValueError, ArithmeticError) as exc:
        error = str(exc)
    series = None
    series_error = None
    try:
        series = service.series_view(
            engine,
            scope,
            view.metric,
            view.as_of,
            where={"region": view.region},
            grain=view.grain,
            horizon=SERIES_GRAINS[view.grain][0],
            actor=principal.actor,
            wait=WAIT_SECONDS,
        )
    except (ValueError, ArithmeticError, KeyError) as exc:
        series_error = str(exc).strip("'\"")
    accuracy = service.accuracy_view(engine, scope)
    calls = service.calls_view(engine, scope, view.period)
    with engine.connect() as conn:
        reps_seen = store.visible_rep_ids(conn, scope)
        from sqlalchemy import select

        from salesops.db.schema import Region, Rep

        rep_rows = conn.execute(select(Rep.id, Rep.external_id, Rep.name).order_by(Rep.name)).all()
        regions = [r for (r,) in conn.execute(select(Region.name).order_by(Region.name))]
    rep_options = [(e, n) for i, e, n in rep_rows if reps_seen is None or int(i) in reps_seen]
    context = shell(request, None, "forecast")
    keep = [
        (k, v) for k, v in request.query_params.multi_items() if k not in (*VIEW_KEYS, "err", "msg")
    ]
    for item in context["nav"]:
        item["href"] = item["href"].split("?")[0] + (
            f"?{urlencode(keep)}" if keep and item["id"] != "data" else ""
        )
    landing = land.landing if land else None
    context.update(
        # Its charts are server-drawn SVG: the browser need not load and run ECharts.
        without_echarts=True,
        page_title=view.t("Forecast"),
        view=view,
        pending=land is None and not error,
        series_pending=series is None and not series_error,
        land=land,
        landing=landing,
        gap_tone=("good" if landing and landing.gap is not None and landing.gap >= 0 else "bad"),
        category_bar=(
            category_bar(
                view,
                landing.categories,
                landing.target,
                landing.expected,
                landing.low,
                landing.high,
            )
            if landing
            else None
        ),
        categories=[
            (view.t(CATEGORY_LABELS[k]), view.money(landing.categories.get(k)), k)
            for k in ("closed", "commit", "best_case", "pipeline", "omitted")
        ]
        if landing
        else [],
        cumulative=[
            (view.t("Commit"), view.money(landing.categories.get("commit_total"))),
            (view.t("Best case"), view.money(landing.categories.get("best_case_total"))),
            (view.t("Pipeline"), view.money(landing.categories.get("pipeline_total"))),
        ]
        if landing
        else [],
        notes=[view.t(n) for n in landing.notes if not n.startswith("growth")] if landing else [],
        baselines=[
            (view.t(METHOD_LABELS.get(k, k)), view.money(v)) for k, v in land.baselines.items()
        ]
        if land
        else [],
        deals=_deals(view, land.deals) if land else [],
        series=series,
        series_chart=series_chart(view, series) if series else None,
        series_method=view.t(METHOD_LABELS.get(series.method, series.method)) if series else "",
        series_rows=[
            (p, _money_or_count(view, m), _money_or_count(view, lo), _money_or_count(view, hi))
            for p, m, lo, hi in zip(
                series.forecast_periods, series.mean, series.low, series.high, strict=False
            )
        ]
        if series
        else [],
        series_scores=[
            (view.t(METHOD_LABELS.get(k, k)), view.pct(v))
            for k, v in series.chosen_by.items()
            if k in METHOD_LABELS
        ]
        if series and any(v is not None for v in series.chosen_by.values())
        else [],
        series_error=series_error,
        metric_options=[(k, view.t(v)) for k, v in SERIES_METRICS.items()],
        region_options=regions,
        accuracy=[
            {
                **row,
                "label": (
                    f"{view.t('Landing' if row['kind'] == 'landing' else 'Series')} ·"
                    f" {view.t(METHOD_LABELS.get(row['method'], row['method']))}"
                ),
                "wape_d": view.pct(row["wape"]),
                "bias_d": view.pct(row["bias"]),
                "coverage_d": view.pct(row["coverage"]),
            }
            for row in accuracy["table"]
        ],
        accuracy_history=[
            {
                "period": h["period_start"][:7],
                "actual": view.money(h["actual"]),
                "forecasts": [
                    view.money(h["forecasts"].get(m))
                    for m in ("landing", "stage_weighted", "last_year_growth")
                ],
            }
            for h in accuracy["history"][-8:]
        ],
        brier=accuracy["brier"],
        reliability=reliability_chart(view, accuracy["brier"]) if accuracy["brier"] else None,
        calls=calls,
        call_reps=[
            {
                "name": e["name"],
                "commit": view.money(e["latest"]["commit_amount"]),
                "best_case": view.money(e["latest"]["best_case_amount"]),
                "kind": view.t("Adjusted" if e["latest"]["kind"] == "adjusted" else "Submitted"),
                "by": e["latest"]["made_by"],
                "at": f"{e['latest']['made_at']:%Y-%m-%d %H:%M}",
                "submitted": view.money(e["submitted"]["commit_amount"])
                if "submitted" in e
                else "—",
            }
            for e in calls["reps"]
        ],
        call_total=(view.money(calls["commit"]), view.money(calls["best_case"])),
        call_adjusted=[
            {
                "scope": view.t("Company") if k == "company" else view.t("Team"),
                "commit": view.money(r["commit_amount"]),
                "best_case": view.money(r["best_case_amount"]),
                "by": r["made_by"],
                "at": f"{r['made_at']:%Y-%m-%d %H:%M}",
                "unit": r.get("unit_name") or "",
            }
            for k, r in calls["adjusted"].items()
        ],
        can_submit=principal.can(P.SUBMIT_FORECAST)
        and bool(principal.user and principal.user.rep_id),
        can_adjust=principal.can(P.ADJUST_FORECAST),
        rep_options=rep_options,
        period_options=_period_options(view),
        back=urlencode(view.params),
        error=(view.t("Could not do that: {reason}", reason=error) if error else None),
        message=view.t("Your call was saved.")
        if request.query_params.get("msg") == "saved"
        else None,
    )
    response = render(request, "forecast.html", **context)
    return response


def _save(
    engine: Any,
    scope: Any,
    principal: Any,
    *,
    kind: str,
    period: str,
    rep: str,
    commit: str,
    best_case: str,
    note: str,
    back: str,
) -> RedirectResponse:
    from salesops.forecast.store import CallTarget, ForecastError, resolve_target, submit_call

    try:
        the_period = parse_period(period)
        with engine.begin() as conn:
            if kind == "submitted":
                rep_id = principal.user.rep_id if principal.user else None
                if rep_id is None:
                    raise ForecastError("your account is not linked to a sales rep")
                target = CallTarget(rep_id=rep_id)
            else:
                target = resolve_target(conn, scope, rep or None, None)
            submit_call(
                conn,
                period=the_period,
                target=target,
                kind=kind,
                commit=commit,
                best_case=best_case,
                note=note or None,
                actor=principal.actor,
            )
    except (ForecastError, PeriodError) as exc:
        return _back(back, err=str(exc))
    return _back(back, msg="saved")


@router.post("/forecast/call", dependencies=[Require(P.SUBMIT_FORECAST)])
def call_form(
    engine: EngineDep,
    scope: ScopeDep,
    principal: PrincipalDep,
    period: str = Form(""),
    commit: str = Form(""),
    best_case: str = Form(""),
    note: str = Form(""),
    back: str = Form(""),
) -> RedirectResponse:
    """A rep submits their own commit and best case."""
    return _save(
        engine,
        scope,
        principal,
        kind="submitted",
        period=period,
        rep="",
        commit=commit,
        best_case=best_case,
        note=note,
        back=back,
    )


@router.post("/forecast/adjust", dependencies=[Require(P.ADJUST_FORECAST)])
def adjust_form(
    engine: EngineDep,
    scope: ScopeDep,
    principal: PrincipalDep,
    period: str = Form(""),
    rep: str = Form(""),
    commit: str = Form(""),
    best_case: str = Form(""),
    note: str = Form(""),
    back: str = Form(""),
) -> RedirectResponse:
    """A manager adjusts a rep's call (or, without a rep, their own roll-up)."""
    return _save(
        engine,
        scope,
        principal,
        kind="adjusted",
        period=period,
        rep=rep,
        commit=commit,
        best_case=best_case,
        note=note,
        back=back,
    )
