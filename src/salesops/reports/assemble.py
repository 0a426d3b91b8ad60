"""Assemble a review from the metrics engine (and the analyses built on it): the one entry
point, :func:`build_report`, for the CLI, the API, the pages and the scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from salesops.alerts.store import alert_rows
from salesops.analysis.churn import churn_warnings
from salesops.analysis.common import AnalysisError
from salesops.analysis.movement import pipeline_movement
from salesops.analysis.stuck import stuck_deals
from salesops.auth.secrets import utcnow
from salesops.config import local_today
from salesops.customers.tasks import REVIEW, list_tasks
from salesops.db.schema import Target
from salesops.feedback.voice import loop_status
from salesops.metrics.compiler import MetricQueryError
from salesops.metrics.engine import MetricsEngine, shared_engine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import FULL_SCOPE, Scope
from salesops.reports.decompose import (
    Decomposition,
    bookings_bridge,
    dec,
    decompose,
    mix_rate,
    revenue_bridge,
)
from salesops.reports.model import Column, Report, Section
from salesops.reports.periods import ReportPeriod, parse_period
from salesops.reports.scope import resolve_scope
from salesops.reports.summary import write_summary
from salesops.reports.words import word
from salesops.targets.attainment import evaluate
from salesops.targets.calendar import Period
from salesops.targets.org import Directory
from salesops.targets.tree import load_targets, visible_to

LANGS = ("zh", "en")

#: Headline KPIs of the period reports, in order; stocks are read at each period's end.
HEADLINE = (
    "revenue", "orders", "active_customers", "aov", "new_customers", "gross_margin",
    "bookings", "won_deals", "lost_deals", "win_rate", "avg_deal_size", "new_pipeline",
    "open_pipeline", "collection_rate", "overdue_receivables", "nps",
)  # fmt: skip
DAILY = ("revenue", "orders", "bookings", "won_deals", "lost_deals", "new_opportunities")
#: What the bridges and the mix need besides the headline.
_BRIDGE = ("revenue", "active_customers", "orders", "bookings", "won_deals", "lost_deals")
_GRAIN = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}


class ReportError(ValueError):
    """Bad input for a report (kind, period, scope, language): a clear 400 / exit 1."""


Progress = Callable[[str], None]


def _none(_: str) -> None:
    return None


class _Ctx:
    """One report's engine, scope, language and periods."""

    def __init__(
        self, engine: Engine, scope: Scope, lang: str, period: ReportPeriod, today: dt.date
    ) -> None:
        self.engine = engine
        self.metrics: MetricsEngine = shared_engine(engine)
        self.scope = scope
        self.lang = lang
        self.period = period
        self.today = today

    def w(self, key: str) -> str:
        return word(key, self.lang)

    def col(self, key: str, unit: str = "text", label: str | None = None) -> Column:
        return Column(key, label or self.w(key), unit)  # type: ignore[arg-type]

    def totals(self, metrics: Sequence[str], p: ReportPeriod) -> dict[str, Any]:
        """Each KPI's value over ``p`` (one engine call; KPIs of one fact fused)."""
        queries = [MetricQuery(m, start=p.start, end=p.end) for m in metrics]
        try:
            results = self.metrics.query_many(queries, self.scope)
        except MetricQueryError:
            out: dict[str, Any] = {}
            for q in queries:
                try:
                    out[q.metric] = self.metrics.query(q, self.scope).rows[0]["value"]
                except (MetricQueryError, IndexError):
                    out[q.metric] = None
            return out
        return {
            m: (r.rows[0]["value"] if r.rows else None)
            for m, r in zip(metrics, results, strict=True)
        }

    def by(self, metrics: Sequence[str], dim: str, p: ReportPeriod) -> dict[str, dict[str, Any]]:
        """``{segment: {kpi: value}}`` over ``p`` grouped by ``dim``."""
        queries = [MetricQuery(m, by=(dim,), start=p.start, end=p.end) for m in metrics]
        out: dict[str, dict[str, Any]] = {}
        for m, res in zip(metrics, self.metrics.query_many(queries, self.scope), strict=True):
            for row in res.rows:
                key = "—" if row[dim] is None else str(row[dim])
                out.setdefault(key, {})[m] = row["value"]
        return out


def _change(value: Any, base: Any) -> float | None:
    if value is None or base in (None, 0):
        return None
    return float((Decimal(str(value)) - Decimal(str(base))) / abs(Decimal(str(base))))


def _targets(ctx: _Ctx, metrics: Sequence[str]) -> dict[str, Any]:
    """The scope's own target of each KPI for the report's period (month, quarter, year)."""
    grain = _GRAIN.get(ctx.period.kind)
    if grain is None:
        return {}
    scope = ctx.scope
    stmt = select(Target.id, Target.metric).where(
        Target.metric.in_(list(metrics)),
        Target.period_grain == grain,
        Target.period_start == ctx.period.start,
    )
    if scope.kind == "rep":
        stmt = stmt.where(Target.scope_kind == "rep", Target.rep_id == scope.rep_id)
    elif scope.kind == "org_unit":
        stmt = stmt.where(Target.scope_kind == "org_unit", Target.org_unit_id == scope.org_unit_id)
    else:
        stmt = stmt.where(Target.scope_kind == "company")
    with ctx.engine.connect() as conn:
        ids = {int(i): str(m) for i, m in conn.execute(stmt)}
        directory = Directory(conn)
        records = [
            r
            for r in load_targets(conn, directory, ids=list(ids))
            if visible_to(directory, scope, r)
        ]
    found = evaluate(ctx.engine, records, as_of=ctx.period.end, scope=scope, directory=directory)
    return {ids[i]: a for i, a in found.items()}


def _headline(
    ctx: _Ctx,
    now: dict[str, Any],
    prev: dict[str, Any],
    ago: dict[str, Any],
    metrics: Sequence[str],
) -> Section:
    targets = _targets(ctx, metrics)
    rows = []
    for m in metrics:
        att = targets.get(m)
        rows.append(
            {
                "metric_id": m,
                "metric": ctx.w(m),
                "unit": _unit(m),
                "value": now.get(m),
                "target": float(att.target) if att else None,
                "attainment_pct": att.attainment if att else None,
                "previous": prev.get(m),
                "change_prev": _change(now.get(m), prev.get(m)),
                "year_ago": ago.get(m),
                "change_yoy": _change(now.get(m), ago.get(m)),
            }
        )
    cols = [
        ctx.col("metric"),
        ctx.col("value", "by_row"),
        ctx.col("target", "by_row"),
        ctx.col("attainment_pct", "ratio"),
        ctx.col("previous", "by_row"),
        ctx.col("change_prev", "ratio"),
        ctx.col("year_ago", "by_row"),
        ctx.col("change_yoy", "ratio"),
    ]
    return Section("headline", ctx.w("headline"), cols, rows)


def _unit(metric: str) -> str:
    from salesops.metrics import catalog

    return catalog.get(metric).unit


def _bridge(ctx: _Ctx, key: str, d: Decomposition, names: Sequence[str]) -> Section:
    rows: list[dict[str, Any]] = [
        {"driver_id": "start", "driver": ctx.w("start"), "amount": d.before}
    ]
    rows += [{"driver_id": n, "driver": ctx.w(n), "amount": d.parts[n]} for n in names]
    rows.append({"driver_id": "end", "driver": ctx.w("end"), "amount": d.after})
    note = None
    if d.rule == "zero":
        note = (
            "一期为零：全部变动计入第一个为零的因素（见 docs/reviews.md）"
            if ctx.lang == "zh"
            else "One period is zero: the whole change goes to the first factor that is zero "
            "(see docs/reviews.md)"
        )
    return Section(
        key, ctx.w(key), [ctx.col("driver"), ctx.col("amount", "money")], rows, note, "waterfall"
    )


def _mix(ctx: _Ctx, key: str, dim: str, value: str, units: Sequence[str]) -> Section:
    metrics = [value, *units]
    now = ctx.by(metrics, dim, ctx.period)
    before = ctx.by(metrics, dim, ctx.period.previous())

    def count(row: dict[str, Any]) -> Any:
        return sum((row.get(u) or 0) for u in units)

    segments = sorted(set(now) | set(before))
    m = mix_rate(
        [
            (
                s,
                before.get(s, {}).get(value),
                now.get(s, {}).get(value),
                count(before.get(s, {})),
                count(now.get(s, {})),
            )
            for s in segments
        ]
    )
    rows = [
        {
            "segment": s.segment,
            "before": s.before,
            "after": s.after,
            "change": s.change,
            "volume": s.volume,
            "mix": s.mix,
            "rate": s.rate,
        }
        for s in sorted(m.segments, key=lambda s: -abs(s.change))
    ]
    cols = [ctx.col("segment", label=ctx.w(dim))]
    cols += [ctx.col(k, "money") for k in ("before", "after", "change", "volume", "mix", "rate")]
    return Section(key, f"{ctx.w(key)} · {ctx.w(dim)}", cols, rows)


def _movement(ctx: _Ctx, start: dt.date, end: dt.date) -> Section:
    cols = [
        ctx.col("bucket"),
        ctx.col("count", "count"),
        ctx.col("amount", "money"),
        ctx.col("amount_change", "money"),
    ]
    try:
        mv = pipeline_movement(ctx.engine, ctx.scope, start=start, end=end, limit=0)
    except AnalysisError as exc:
        return Section("movement", ctx.w("movement"), cols, [], str(exc))
    rows = [
        {
            "bucket_id": b.bucket,
            "bucket": b.name_zh if ctx.lang == "zh" else b.name_en,
            "count": b.count,
            "amount": b.amount,
            "amount_change": b.amount_change,
        }
        for b in mv.buckets
        if b.bucket != "unchanged"
    ]
    return Section("movement", ctx.w("movement"), cols, rows, chart="bar")


def _coverage(ctx: _Ctx) -> Section:
    """``pipeline_coverage`` of the report's period: the open pipeline at its end expected to
    close in the next period against that period's remaining target (the engine's KPI)."""
    p, nxt = ctx.period, ctx.period.next()
    values: dict[str, Any] = {}
    for name in ("pipeline_coverage", "open_pipeline"):
        query = MetricQuery(name, start=p.start, end=p.end, as_of=p.end)
        try:
            rows = ctx.metrics.query(query, ctx.scope).rows
            values[name] = rows[0]["value"] if rows else None
        except MetricQueryError:
            values[name] = None
    rows_out = [
        {"item": ctx.w("open_pipeline"), "value": values["open_pipeline"], "unit": "money"},
        {"item": ctx.w("coverage_ratio"), "value": values["pipeline_coverage"], "unit": "ratio"},
    ]
    return Section(
        "coverage",
        f"{ctx.w('coverage')} ({nxt.label})",
        [ctx.col("item"), ctx.col("value", "by_row")],
        rows_out,
    )


def _stuck(ctx: _Ctx) -> Section:
    cols = [
        ctx.col("opportunity"),
        ctx.col("customer"),
        ctx.col("owner"),
        ctx.col("stage"),
        ctx.col("amount", "money"),
        ctx.col("days_in_stage", "count"),
    ]
    try:
        res = stuck_deals(ctx.engine, ctx.scope, as_of=ctx.period.end, limit=10)
    except AnalysisError as exc:
        return Section("stuck", ctx.w("stuck"), cols, [], str(exc))
    rows = [
        {
            "opportunity": d.opportunity,
            "customer": d.customer,
            "owner": d.owner,
            "stage": d.stage,
            "amount": d.amount,
            "days_in_stage": d.days_in_stage,
        }
        for d in res.rows
    ]
    total = f"{res.deals} · {res.amount}"
    return Section("stuck", ctx.w("stuck"), cols, rows, total)


def _attainment(ctx: _Ctx) -> Section:
    cols = [
        ctx.col("scope"),
        ctx.col("metric"),
        ctx.col("target", "by_row"),
        ctx.col("actual", "by_row"),
        ctx.col("attainment_pct", "ratio"),
        ctx.col("pacing", "ratio"),
        ctx.col("status"),
    ]
    grain = _GRAIN.get(ctx.period.kind)
    if grain is None:
        return Section("attainment", ctx.w("attainment"), cols, [])
    with ctx.engine.connect() as conn:
        directory = Directory(conn)
        records = [
            r
            for r in load_targets(conn, directory, period=Period(ctx.period.start, grain))  # type: ignore[arg-type]
            if visible_to(directory, ctx.scope, r)
        ][:200]
    found = evaluate(
        ctx.engine, records, as_of=ctx.period.end, scope=ctx.scope, directory=directory
    )
    rows = []
    for r in sorted(records, key=lambda r: (r.scope.kind != "company", r.scope_text, r.metric)):
        a = found[r.id]
        rows.append(
            {
                "scope": r.scope_name or r.scope_text or ctx.w("company"),
                "metric": ctx.w(r.metric),
                "unit": _unit(r.metric),
                "target": r.value,
                "actual": a.actual,
                "attainment_pct": a.attainment,
                "pacing": a.pacing,
                "status": a.status,
            }
        )
    return Section("attainment", ctx.w("attainment"), cols, rows)


_REASON = {"deals_closed": "volume", "win_rate": "conversion", "avg_deal_size": "deal size"}
_REASON_ZH = {"deals_closed": "结单量", "win_rate": "转化率", "avg_deal_size": "单笔金额"}


def _performers(ctx: _Ctx) -> Section:
    """Reps by bookings; each top / bottom rep's reason is the largest part of the LMDI
    decomposition of (the average rep → this rep): volume, conversion or deal size."""
    cols = [
        ctx.col("rank"),
        ctx.col("rep"),
        ctx.col("bookings", "money"),
        ctx.col("won_deals", "count"),
        ctx.col("win_rate", "ratio"),
        ctx.col("avg_deal_size", "money"),
        ctx.col("reason"),
        ctx.col("reason_detail"),
    ]
    reps = ctx.by(("bookings", "won_deals", "lost_deals"), "rep", ctx.period)
    if not reps:
        return Section("performers", ctx.w("performers"), cols, [])
    n = Decimal(len(reps))
    avg = {
        k: sum((dec(v.get(k)) or Decimal(0) for v in reps.values()), Decimal(0)) / n
        for k in ("bookings", "won_deals", "lost_deals")
    }
    ranked = sorted(reps.items(), key=lambda kv: (-(kv[1].get("bookings") or 0), kv[0]))
    pick = ranked[:3] + [r for r in ranked[-3:] if r not in ranked[:3]]
    rows = []
    for name, v in pick:
        d = bookings_bridge(avg, v)
        top = ranked.index((name, v)) < 3
        part = max(d.parts, key=lambda k: abs(d.parts[k]) if (d.parts[k] > 0) == top else -1)
        won, lost = v.get("won_deals") or 0, v.get("lost_deals") or 0
        reason = _REASON_ZH[part] if ctx.lang == "zh" else _REASON[part]
        detail = (
            f"相对平均销售 {d.parts[part]:+,.2f}"
            if ctx.lang == "zh"
            else f"{d.parts[part]:+,.2f} against the average rep"
        )
        rows.append(
            {
                "rank": ranked.index((name, v)) + 1,
                "rep": name,
                "bookings": v.get("bookings"),
                "won_deals": won,
                "win_rate": (won / (won + lost)) if won + lost else None,
                "avg_deal_size": (v.get("bookings") or 0) / won if won else None,
                "reason": f"{ctx.w('top' if top else 'bottom')}: {reason}",
                "reason_detail": detail,
            }
        )
    return Section("performers", ctx.w("performers"), cols, rows)


def _customers(ctx: _Ctx, now: dict[str, Any]) -> list[Section]:
    kpis = (
        "active_customers",
        "new_customers",
        "churn_rate",
        "collection_rate",
        "overdue_receivables",
    )
    extra = ctx.totals(("churn_rate",), ctx.period)
    rows = [{"item": ctx.w(k), "value": now.get(k, extra.get(k)), "unit": _unit(k)} for k in kpis]
    cols = [ctx.col("item"), ctx.col("value", "by_row")]
    out = [Section("customers", ctx.w("customers_title"), cols, rows)]
    ccols = [ctx.col("customer"), ctx.col("revenue_12m", "money"), ctx.col("why")]
    try:
        churn = churn_warnings(ctx.engine, ctx.scope, as_of=ctx.period.end, limit=10)
    except AnalysisError as exc:
        out.append(Section("churn", ctx.w("churn"), ccols, [], str(exc)))
        return out
    names = {r.reason: r.name_zh if ctx.lang == "zh" else r.name_en for r in churn.reasons}
    crow = [
        {
            "customer": w.customer,
            "revenue_12m": w.trailing_revenue,
            "why": ", ".join(names.get(r.reason, r.reason) for r in w.reasons),
        }
        for w in churn.warnings
    ]
    rows.append({"item": ctx.w("churn"), "value": churn.warnings_count, "unit": "count"})
    out.append(Section("churn", ctx.w("churn"), ccols, crow))
    return out


def _feedback(ctx: _Ctx, now: dict[str, Any]) -> Section:
    extra = ctx.totals(("csat", "nps_responses"), ctx.period)
    status = loop_status(ctx.engine, ctx.scope, (), ctx.period.start, ctx.period.end, ctx.today)
    rows = [
        {"item": ctx.w("nps"), "value": now.get("nps"), "unit": "score"},
        {"item": ctx.w("nps_responses"), "value": extra.get("nps_responses"), "unit": "count"},
        {"item": ctx.w("csat"), "value": extra.get("csat"), "unit": "score"},
        {
            "item": ctx.w("open_complaints"),
            "value": status["new"] + status["assigned"],
            "unit": "count",
        },
        {"item": ctx.w("overdue_feedback"), "value": status["overdue"], "unit": "count"},
    ]
    return Section(
        "feedback", ctx.w("feedback"), [ctx.col("item"), ctx.col("value", "by_row")], rows
    )


def _alerts(ctx: _Ctx, start: dt.date, end: dt.date) -> Section:
    cols = [ctx.col("fired_at"), ctx.col("severity"), ctx.col("rule"), ctx.col("subject")]
    rows = []
    for a in alert_rows(ctx.engine, ctx.scope, state="all", limit=1000):
        fired = dt.datetime.fromisoformat(a["fired_at"]).date()
        if start <= fired <= end:
            rows.append(
                {
                    "fired_at": a["fired_at"][:16].replace("T", " "),
                    "severity": a["severity"],
                    "rule": a["rule"],
                    "subject": a["subject"],
                }
            )
    return Section("alerts", ctx.w("alerts"), cols, rows[:50])


def _actions(ctx: _Ctx, start: dt.date, end: dt.date) -> Section:
    """Review action items: **done** (closed, and due or done in the period), **overdue**
    (open, due by the period's end) and **due** (open, due in the next period)."""
    cols = [ctx.col("title"), ctx.col("owner"), ctx.col("due_on", "date"), ctx.col("state")]
    rows = []
    upcoming = ctx.period.next().end
    for t in list_tasks(ctx.engine, ctx.scope, source=REVIEW, today=end + dt.timedelta(days=1)):
        if t.kind != "action" or t.status == "cancelled":
            continue
        due_in = t.due_on is not None and start <= t.due_on <= end
        done_in = t.done_on is not None and start <= t.done_on <= end
        if t.status == "done" and (due_in or done_in):
            state = "done"
        elif t.status == "open" and t.due_on is not None and t.due_on <= end:
            state = "overdue"
        elif t.status == "open" and t.due_on is not None and t.due_on <= upcoming:
            state = "due"
        else:
            continue
        rows.append(
            {"id": t.id, "title": t.title, "owner": t.owner, "due_on": t.due_on,
             "state": ctx.w(state), "state_id": state}
        )  # fmt: skip
    rows.sort(key=lambda r: (("overdue", "due", "done").index(r["state_id"]), r["due_on"]))
    return Section("actions", ctx.w("actions"), cols, rows)


def build_report(
    engine: Engine,
    kind: str,
    period: str | None = None,
    scope: str | None = None,
    lang: str = "en",
    *,
    caller: Scope = FULL_SCOPE,
    today: dt.date | None = None,
    progress: Progress = _none,
) -> Report:
    """The review ``kind`` (daily … yearly) for ``period`` (default: the last complete one)
    and ``scope`` (company, an org unit or a rep; default the caller's own) in ``lang``.

    Every number comes from the metrics engine or the analyses on top of it, measured in the
    scope; raises :class:`ReportError` (or its subclasses' messages) for bad input."""
    from salesops.reports.periods import PeriodError
    from salesops.reports.scope import ScopeError

    if lang not in LANGS:
        raise ReportError(f"unknown language {lang!r}; known: zh, en")
    day = today or shared_engine(engine).today() or local_today()
    try:
        p = parse_period(kind, period, day)
        the_scope, scope_name = resolve_scope(engine, scope, caller, lang)
    except (PeriodError, ScopeError) as exc:
        raise ReportError(str(exc)) from None
    ctx = _Ctx(engine, the_scope, lang, p, day)
    prev, ago = p.previous(), p.year_ago()
    title = f"{word(p.kind, lang)} · {p.label} · {scope_name}"
    report = Report(p.kind, p, prev, ago, the_scope, scope_name, lang, title, utcnow())
    metrics = DAILY if p.kind == "daily" else HEADLINE
    progress("headline")
    wanted = list(dict.fromkeys([*metrics, *_BRIDGE]))
    now, before, year = (ctx.totals(wanted, x) for x in (p, prev, ago))
    report.sections.append(_headline(ctx, now, before, year, metrics))
    if p.kind == "daily":
        progress("pipeline")
        report.sections.append(_movement(ctx, p.start - dt.timedelta(days=1), p.end))
        report.sections.append(_alerts(ctx, p.start, p.end))
        report.sections.append(_today_tasks(ctx, p.end + dt.timedelta(days=1)))
        report.sections.append(_actions(ctx, p.start, p.end))
        report.summary = write_summary(report, now, before, None, None)
        return report
    progress("bridges")
    rb = revenue_bridge(before, now)
    bb = bookings_bridge(before, now)
    report.sections.append(
        _bridge(ctx, "revenue_bridge", rb, ("customers", "orders_per_customer", "avg_order_value"))
    )
    report.sections.append(
        _bridge(ctx, "bookings_bridge", bb, ("deals_closed", "win_rate", "avg_deal_size"))
    )
    dim = "rep" if the_scope.kind == "org_unit" else "region"
    if the_scope.kind != "rep":
        report.sections.append(_mix(ctx, "revenue_mix", dim, "revenue", ("active_customers",)))
        report.sections.append(
            _mix(ctx, "bookings_mix", dim, "bookings", ("won_deals", "lost_deals"))
        )
    progress("pipeline")
    report.sections.append(_movement(ctx, prev.end, p.end))
    report.sections.append(_coverage(ctx))
    report.sections.append(_stuck(ctx))
    progress("targets")
    report.sections.append(_attainment(ctx))
    report.sections.append(_performers(ctx))
    progress("customers")
    report.sections.extend(_customers(ctx, now))
    report.sections.append(_feedback(ctx, now))
    report.sections.append(_alerts(ctx, p.start, p.end))
    report.sections.append(_actions(ctx, p.start, p.end))
    report.summary = write_summary(report, now, before, rb, bb)
    return report


def _today_tasks(ctx: _Ctx, day: dt.date) -> Section:
    cols = [ctx.col("title"), ctx.col("customer"), ctx.col("owner"), ctx.col("due_on", "date")]
    rows = [
        {"title": t.title or t.kind, "customer": t.customer, "owner": t.owner, "due_on": t.due_on}
        for t in list_tasks(ctx.engine, ctx.scope, status="open", today=day, limit=200)
        if t.due_on is not None and t.due_on <= day
    ][:30]
    return Section("tasks_today", ctx.w("tasks_today"), cols, rows)


__all__ = ["ReportError", "build_report", "decompose"]
