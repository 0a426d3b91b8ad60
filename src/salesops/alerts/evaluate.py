"""Evaluate one rule as of a day: what fires, with its numbers and why.

KPI rules (threshold, change, pacing) read every number from the one metrics engine, in the
rule's scope; their top contributors come from the engine's breakdown of the same query by
one more dimension. Item rules read the analyses built on the same facts and scope (stuck
deals, churn warnings, credit grades and ageing) or, for big deals, the opportunities with
the engine's scope and filter conditions. Nothing here writes: :mod:`salesops.alerts.store`
keeps what fires.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, select

from salesops.alerts import periods as P
from salesops.alerts.rules import RuleSpec
from salesops.alerts.words import DIMS, finding_words, metric_names
from salesops.db.schema import Customer, Opportunity, OrgUnit, Rep
from salesops.metrics import catalog
from salesops.metrics.engine import MetricsEngine
from salesops.metrics.query import MetricQuery
from salesops.metrics.scope import Scope

#: Pages that show a fact's numbers (the alert's link opens them with the rule's filters).
PAGES = {
    "order_line": "/",
    "order_header": "/orders",
    "opportunity": "/pipeline",
    "payment": "/customers",
    "customer": "/customers",
    "activity": "/team",
    "target": "/",
}
TOP = 3


@dataclass
class Finding:
    """One thing that fired: ``subject`` ('' = the whole scope, ``region=East``, ``rep:12``)."""

    subject: str
    period: P.Period
    value: float | None
    baseline: float | None
    info: dict[str, Any]
    contributors: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    rep_id: int | None = None  # item alerts grouped by rep: the rep whose items they are
    org_unit_id: int | None = None  # item alerts grouped by team: the reps' org unit
    link: str = ""

    def explanation(self, spec: RuleSpec) -> dict[str, Any]:
        return {
            **self.info,
            "what": finding_words(spec, {**self.info, "value": self.value}),
            "value": self.value,
            "baseline": self.baseline,
            "period": {
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "contributors": self.contributors,
            "items": self.items,
        }


def _where(spec: RuleSpec) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((d, tuple(v)) for d, v in spec.where.items()))


def _link(page: str, period: P.Period | None, where: dict[str, list[str]]) -> str:
    params: list[tuple[str, str]] = []
    if period is not None:
        params += [("period", "custom"), ("from", period.start.isoformat())]
        params += [("to", period.end.isoformat())]
    for dim, values in sorted(where.items()):
        params += [(dim, v) for v in values]
    return page + ("?" + urlencode(params) if params else "")


def _subject(spec_by: list[str], row: Any) -> tuple[str, dict[str, str], str]:
    dims = {d: str(row[d]) for d in spec_by}
    key = ",".join(f"{d}={v}" for d, v in dims.items())
    text_zh = "，".join(f"{DIMS[d][0]} {v}" for d, v in dims.items())
    return key, dims, text_zh


def _compare(op: str, value: float, limit: float) -> bool:
    return {
        "<": value < limit,
        "<=": value <= limit,
        ">": value > limit,
        ">=": value >= limit,
    }[op]


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


class Evaluator:
    """Evaluates rules in one scope as of one day through ``metrics``."""

    def __init__(self, engine: Engine, metrics: MetricsEngine, scope: Scope, today: dt.date):
        self.engine = engine
        self.metrics = metrics
        self.scope = scope
        self.today = today

    def run(self, spec: RuleSpec) -> list[Finding]:
        method = getattr(self, f"_{spec.kind}")
        found: list[Finding] = method(spec)
        return found

    # ------------------------------------------------------------------ KPI rules

    def _query(self, spec: RuleSpec, metric: str, p: P.Period, by: tuple[str, ...]) -> MetricQuery:
        extra: tuple[tuple[str, Any], ...] = ()
        if spec.target_metric and metric in ("pacing", "target_attainment"):
            extra = (("target_metric", spec.target_metric),)
        kpi = catalog.get(metric)
        as_of = min(p.end, self.today) if kpi.stock or metric == "pacing" else None
        return MetricQuery(
            metric=metric,
            by=by,
            start=p.start,
            end=p.end,
            as_of=as_of,
            where=_where(spec),
            extra=extra,
        )

    def _contrib_dim(self, spec: RuleSpec, metric: str) -> str | None:
        if spec.contributors_by:
            return spec.contributors_by
        from salesops.metrics import dimensions

        fact = catalog.get(metric).fact
        for dim in ("rep", "region", "customer", "product_line"):
            if dim not in spec.by and dimensions.applies(fact, dim):
                return dim
        return None

    def _info(self, spec: RuleSpec, metric: str, subject_zh: str, key: str) -> dict[str, Any]:
        mzh, men = metric_names(metric)
        return {
            "metric": metric,
            "metric_zh": mzh,
            "metric_en": men,
            "unit": catalog.get(metric).unit,
            "subject": key,
            "subject_text": (subject_zh + "：") if subject_zh else "",
        }

    def _threshold(self, spec: RuleSpec) -> list[Finding]:
        assert spec.metric is not None and spec.value is not None
        p = P.resolve(spec.period, self.today)
        by = tuple(spec.by)
        cdim = self._contrib_dim(spec, spec.metric)
        queries = [self._query(spec, spec.metric, p, by)]
        if cdim:
            queries.append(self._query(spec, spec.metric, p, (*by, cdim)))
        results = self.metrics.query_many(queries, self.scope)
        page = PAGES.get(catalog.get(spec.metric).fact, "/")
        out = []
        for row in results[0].rows:
            value = _f(row["value"])
            if value is None or not _compare(spec.op, value, spec.value):
                continue
            key, dims, text = _subject(spec.by, row)
            contributors: list[dict[str, Any]] = []
            if cdim:
                members = [
                    r for r in results[1].rows if all(str(r[d]) == v for d, v in dims.items())
                ]
                members = [r for r in members if r["value"] is not None]
                low = spec.op in ("<", "<=")
                members.sort(key=lambda r: float(r["value"]), reverse=not low)
                contributors = [
                    {"dim": cdim, "name": str(r[cdim]), "value": _f(r["value"])}
                    for r in members[:TOP]
                ]
            where = {**spec.where, **{d: [v] for d, v in dims.items()}}
            out.append(
                Finding(
                    subject=key,
                    period=p,
                    value=value,
                    baseline=spec.value,
                    info=self._info(spec, spec.metric, text, key),
                    contributors=contributors,
                    link=_link(page, p, where),
                )
            )
        return out

    def _baseline_periods(self, spec: RuleSpec, current: P.Period) -> list[P.Period]:
        if spec.baseline == "prev":
            return [current.shift(spec.grain, 1)]
        if spec.baseline == "yoy":
            if spec.grain == "week":
                return [P.whole("week", current.start - dt.timedelta(weeks=52))]
            return [P.whole(spec.grain, current.start.replace(year=current.start.year - 1))]
        return [current.shift(spec.grain, i) for i in range(1, spec.periods + 1)]

    def _change(self, spec: RuleSpec) -> list[Finding]:
        assert spec.metric is not None
        current = P.last_complete(spec.grain, self.today)
        bases = self._baseline_periods(spec, current)
        by = tuple(spec.by)
        cdim = self._contrib_dim(spec, spec.metric)
        plist = [current, *bases]
        queries = [self._query(spec, spec.metric, p, by) for p in plist]
        if cdim:
            queries += [self._query(spec, spec.metric, p, (*by, cdim)) for p in plist]
        results = self.metrics.query_many(queries, self.scope)
        n = len(plist)
        unit = catalog.get(spec.metric).unit
        additive = catalog.get(spec.metric).additive

        def values(result_index: int, dims: tuple[str, ...]) -> dict[tuple[str, ...], float]:
            got: dict[tuple[str, ...], float] = {}
            for r in results[result_index].rows:
                if r["value"] is not None:
                    got[tuple(str(r[d]) for d in dims)] = float(r["value"])
            return got

        cur = values(0, by)
        base_series = [values(i, by) for i in range(1, n)]
        # a group missing from a period had none of an additive KPI (0), else no value
        groups = set(cur) | ({k for s in base_series for k in s} if additive else set())
        page = PAGES.get(catalog.get(spec.metric).fact, "/")
        out = []
        for g in sorted(groups):
            value = cur.get(g, 0.0 if additive else None)
            series = [s.get(g, 0.0 if additive else None) for s in base_series]
            if value is None or any(v is None for v in series):
                continue
            nums = [float(v) for v in series if v is not None]
            mean = sum(nums) / len(nums)
            extra: dict[str, Any] = {"baseline_kind": spec.baseline, "grain": spec.grain}
            if spec.baseline == "rolling":
                sd = math.sqrt(sum((v - mean) ** 2 for v in nums) / (len(nums) - 1))
                z = (value - mean) / sd if sd > 0 else (math.inf if value != mean else 0.0)
                z = math.copysign(math.inf, value - mean) if sd == 0 and value != mean else z
                fired = {
                    "down": z < -spec.k,
                    "up": z > spec.k,
                    "any": abs(z) > spec.k,
                }[spec.direction]
                extra.update(sigma=sd, z=None if math.isinf(z) else z, periods=spec.periods)
            else:
                if mean == 0:
                    continue
                change = (value - mean) / abs(mean)
                fired = {
                    "down": change <= -spec.min_change,
                    "up": change >= spec.min_change,
                    "any": abs(change) >= spec.min_change,
                }[spec.direction]
                extra["baseline_period"] = bases[0].label
            if not fired:
                continue
            extra["change"] = (value - mean) / abs(mean) if mean else None
            dims = dict(zip(spec.by, g, strict=True))
            key = ",".join(f"{d}={v}" for d, v in dims.items())
            text = "，".join(f"{DIMS[d][0]} {v}" for d, v in dims.items())
            contributors: list[dict[str, Any]] = []
            if cdim:
                cdims = (*by, cdim)
                now = {k: v for k, v in values(n, cdims).items() if k[: len(g)] == g}
                before = [values(n + i, cdims) for i in range(1, n)]
                members = set(now) | {k for s in before for k in s if k[: len(g)] == g}
                deltas = []
                for m in members:
                    b = [s.get(m, 0.0 if additive else None) for s in before]
                    bs = [x for x in b if x is not None]
                    if not bs:
                        continue
                    bmean = sum(bs) / len(bs)
                    nv = now.get(m, 0.0 if additive else None)
                    if nv is None:
                        continue
                    deltas.append((nv - bmean, m[-1], nv, bmean))
                down = spec.direction == "down" or (spec.direction == "any" and value < mean)
                deltas.sort(key=lambda t: t[0], reverse=not down)
                contributors = [
                    {"dim": cdim, "name": name, "value": nv, "baseline": bm, "delta": d}
                    for d, name, nv, bm in deltas[:TOP]
                    if (d < 0 if down else d > 0)
                ]
            where = {**spec.where, **{d: [v] for d, v in dims.items()}}
            info = self._info(spec, spec.metric, text, key) | extra
            info["unit"] = unit
            out.append(
                Finding(
                    subject=key,
                    period=current,
                    value=value,
                    baseline=mean,
                    info=info,
                    contributors=contributors,
                    link=_link(page, current, where),
                )
            )
        return out

    def _pacing(self, spec: RuleSpec) -> list[Finding]:
        period = {"this_month": "month", "this_quarter": "quarter", "this_year": "year"}.get(
            spec.period, "month"
        )
        whole = P.whole(period, self.today)
        p = P.Period(whole.start, whole.end, whole.label)
        by = tuple(spec.by)
        queries = [
            self._query(spec, "target_attainment", p, by),
            self._query(spec, "pacing", p, by),
        ]
        att, pac = self.metrics.query_many(queries, self.scope)
        linear = P.elapsed_share(p, self.today)
        pacing_by = {tuple(str(r[d]) for d in by): _f(r["value"]) for r in pac.rows}
        metric = spec.target_metric or "revenue"
        shares: dict[tuple[str, ...], float | None] = {}
        if spec.pace == "seasonal":
            from salesops.targets.seasonal import seasonal_share

            shares = seasonal_share(
                self.engine,
                metric,
                p.start,
                p.end,
                self.today,
                where=_where(spec),
                by=by,
                scope=self.scope,
                metrics=self.metrics,
            )
        out = []
        for row in att.rows:
            g = tuple(str(row[d]) for d in by)
            attainment = _f(row["value"])
            pace, pace_kind = linear, "linear"
            seasonal = shares.get(g)
            if seasonal is not None and seasonal > 0:
                # last year's shape; a group without last year's numbers keeps the linear pace
                pace, pace_kind = seasonal, "seasonal"
                pacing = attainment / pace if attainment is not None else None
            else:
                pacing = pacing_by.get(g)
            if pacing is None or attainment is None or pacing >= 1 - spec.behind:
                continue
            key, dims, text = _subject(spec.by, row)
            info = self._info(spec, metric, text, key)
            info.update(unit="ratio", pacing=pacing, pace=pace, pace_kind=pace_kind)
            info["baseline"] = pace
            where = {**spec.where, **{d: [v] for d, v in dims.items()}}
            out.append(
                Finding(
                    subject=key,
                    period=p,
                    value=attainment,
                    baseline=pace,
                    info=info,
                    link=_link("/targets", None, where),
                )
            )
        return out

    # ------------------------------------------------------------------ item rules

    def _owners(self, model: Any, owner: Any, ids: list[int]) -> dict[int, int | None]:
        if not ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(model.id, owner).where(model.id.in_(ids))).all()
        return {int(r[0]): (int(r[1]) if r[1] is not None else None) for r in rows}

    def _reps(self, rep_ids: set[int]) -> dict[int, tuple[str, int | None]]:
        if not rep_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Rep.id, Rep.name, Rep.org_unit_id).where(Rep.id.in_(rep_ids))
            ).all()
        return {int(r[0]): (str(r[1]), r[2]) for r in rows}

    def _units(self, unit_ids: set[int]) -> dict[int, str]:
        if not unit_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_ids)))
            return {int(r[0]): str(r[1]) for r in rows}

    def _by_rep(
        self, spec: RuleSpec, items: list[dict[str, Any]], page: str, period: P.Period
    ) -> list[Finding]:
        """Item findings, one per group (``spec.group``): per rep (a rep's own deals and
        customers), per team (the reps' org unit: its manager's view), or one for the scope.
        An item without an owner joins the scope-wide group."""
        reps = self._reps({it["rep_id"] for it in items if it.get("rep_id") is not None})
        groups: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
        for it in items:
            rep = it.get("rep_id")
            if spec.group == "rep" and rep is not None:
                key: tuple[str, int | None] = ("rep", rep)
            elif spec.group == "team" and rep is not None and reps[rep][1] is not None:
                key = ("team", reps[rep][1])
            else:
                key = ("all", None)
            groups.setdefault(key, []).append(it)
        units = self._units({k[1] for k in groups if k[0] == "team" and k[1] is not None})
        out = []
        for (kind, ident), its in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
            its.sort(key=lambda it: -(it.get("amount") or 0))
            where = dict(spec.where)
            name = None
            if kind == "rep" and ident is not None:
                name = reps[ident][0]
                where["rep"] = [name]
            elif kind == "team" and ident is not None:
                name = units.get(ident)
                where["team"] = [name or ""]
            subject = f"{kind}:{ident}" if ident is not None else ""
            info = {
                "unit": "count",
                "subject": subject,
                "subject_text": (f"{name}：" if name else ""),
                "group": name,
                "items_count": len(its),
                "amount": sum(float(it.get("amount") or 0) for it in its),
            }
            out.append(
                Finding(
                    subject=subject,
                    period=period,
                    value=float(len(its)),
                    baseline=None,
                    info=info,
                    items=its,
                    rep_id=ident if kind == "rep" else None,
                    org_unit_id=ident if kind == "team" else None,
                    link=_link(page, None, where),
                )
            )
        return out

    def _day(self) -> P.Period:
        return P.whole("day", self.today)

    def _stuck_deals(self, spec: RuleSpec) -> list[Finding]:
        from salesops.analysis.stuck import stuck_deals

        res = stuck_deals(
            self.engine,
            self.scope,
            spec.where,
            as_of=self.today,
            days=spec.days,
            factor=1.0,
            quantile=spec.quantile,
        )
        owners = self._owners(
            Opportunity, Opportunity.owner_id, [r.opportunity_id for r in res.rows]
        )
        items = [
            {
                "key": f"opportunity:{r.opportunity_id}:{r.stage}:{r.entered_at}",
                "name": r.opportunity,
                "customer": r.customer,
                "owner": r.owner,
                "rep_id": owners.get(r.opportunity_id),
                "stage": r.stage,
                "days_in_stage": r.days_in_stage,
                "threshold_days": r.threshold_days,
                "amount": float(r.amount) if r.amount is not None else None,
            }
            for r in res.rows
        ]
        return self._by_rep(spec, items, "/pipeline", self._day())

    def _churn_warning(self, spec: RuleSpec) -> list[Finding]:
        from salesops.analysis.churn import churn_warnings

        res = churn_warnings(
            self.engine,
            self.scope,
            spec.where,
            as_of=self.today,
            drop_threshold=spec.drop_threshold,
            silence_factor=spec.silence_factor,
        )
        floor = spec.min_revenue or 0.0
        warned = [w for w in res.warnings if float(w.trailing_revenue) >= floor]
        quarter = P.whole("quarter", self.today).label
        owners = self._owners(Customer, Customer.owner_id, [w.customer_id for w in warned])
        items = [
            {
                "key": f"customer:{w.customer_id}:{quarter}",
                "name": w.customer,
                "rep_id": owners.get(w.customer_id),
                "amount": float(w.trailing_revenue),
                "reasons": [r.reason for r in w.reasons],
                "params": {r.reason: r.params for r in w.reasons},
            }
            for w in warned
        ]
        return self._by_rep(spec, items, "/customers", self._day())

    def _overdue_receivables(self, spec: RuleSpec) -> list[Finding]:
        from salesops.analysis.credit import AGEING, credit_grades

        res = credit_grades(self.engine, self.scope, spec.where, as_of=self.today)
        days = spec.days or 0
        buckets = [b for b, (low, _high) in AGEING.items() if low > days]
        month = P.whole("month", self.today).label
        floor = spec.amount or 0.0
        picked = []
        for r in res.rows:
            over = float(sum(r.ageing[b] for b in buckets))
            if over > 0 and over > floor:
                picked.append((r, over))
        owners = self._owners(Customer, Customer.owner_id, [r.customer_id for r, _ in picked])
        items = [
            {
                "key": f"customer:{r.customer_id}:{month}",
                "name": r.customer,
                "rep_id": owners.get(r.customer_id),
                "amount": over,
                "overdue_total": float(r.overdue_amount),
                "grade": r.grade,
            }
            for r, over in picked
        ]
        return self._by_rep(spec, items, "/customers", self._day())

    def _big_deal(self, spec: RuleSpec) -> list[Finding]:
        from salesops.analysis.common import normalise_filters
        from salesops.analysis.facts import conditions

        days = spec.days or 7
        since = self.today - dt.timedelta(days=days - 1)
        statuses = ["won", "lost"] if spec.outcome == "both" else [spec.outcome]
        o = Opportunity
        stmt = (
            select(o.id, o.name, o.status, o.amount, o.closed_on, o.owner_id, Customer.name)
            .outerjoin(Customer, Customer.id == o.customer_id)
            .where(
                o.status.in_(statuses),
                o.closed_on >= since,
                o.closed_on <= self.today,
                o.amount >= spec.amount,
                *conditions(o, self.scope, normalise_filters(spec.where)),
            )
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        items = [
            {
                "key": f"opportunity:{r[0]}:{r[2]}",
                "name": r[1],
                "status": r[2],
                "amount": float(r[3] or 0),
                "closed_on": r[4].isoformat() if r[4] else None,
                "rep_id": r[5],
                "customer": r[6],
            }
            for r in rows
        ]
        return self._by_rep(
            spec, items, "/pipeline", P.Period(since, self.today, self.today.isoformat())
        )

    def _failed_imports(self, spec: RuleSpec) -> list[Finding]:
        """Failed runs of saved import sources (issue #21); the data page shows them."""
        from salesops.db.schema import ImportSourceRun as R

        days = spec.days or 1
        since = self.today - dt.timedelta(days=days - 1)
        start = dt.datetime.combine(since, dt.time()) - dt.timedelta(days=1)  # UTC slack
        stmt = (
            select(R.id, R.source, R.file, R.started_at, R.errors, R.message)
            .where(R.status == "failed", R.started_at >= start)
            .order_by(R.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        items = [
            {
                "key": f"source_run:{r.id}",
                "name": r.source + (f" · {r.file}" if r.file else ""),
                "started_at": r.started_at.isoformat(timespec="seconds"),
                "errors": r.errors,
                "message": (r.message or "")[:300],
                "rep_id": None,
            }
            for r in rows
        ]
        return self._by_rep(
            spec, items, "/data", P.Period(since, self.today, self.today.isoformat())
        )

    def _credit_grade_drop(self, spec: RuleSpec) -> list[Finding]:
        from salesops.analysis.credit import credit_grades

        days = spec.days or 30
        before_day = self.today - dt.timedelta(days=days)
        now = credit_grades(self.engine, self.scope, spec.where, as_of=self.today)
        before = credit_grades(self.engine, self.scope, spec.where, as_of=before_day)
        old = {r.customer_id: r.grade for r in before.rows}
        month = P.whole("month", self.today).label
        dropped = [r for r in now.rows if r.customer_id in old and r.grade > old[r.customer_id]]
        owners = self._owners(Customer, Customer.owner_id, [r.customer_id for r in dropped])
        items = [
            {
                "key": f"customer:{r.customer_id}:{r.grade}:{month}",
                "name": r.customer,
                "rep_id": owners.get(r.customer_id),
                "from": old[r.customer_id],
                "to": r.grade,
                "amount": float(r.overdue_amount),
                "on_time_share": r.on_time_share,
            }
            for r in dropped
        ]
        return self._by_rep(
            spec, items, "/customers", P.Period(before_day, self.today, self.today.isoformat())
        )
