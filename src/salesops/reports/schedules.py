"""Reviews delivered on a schedule (issue #26, acceptance item 5).

A schedule names a review (kind, scope, language, formats; quarterly and yearly ones may be
fiscal), a cron line in the board's time zone (``30 8 * * 1``: every Monday 08:30) and its
recipients: alert channels (:mod:`salesops.notify`), an e-mail channel optionally with its own
addresses. When it is due, the job ``report-schedules`` (every minute, inside ``salesops
serve``; ``salesops report schedule run`` by hand) builds the last complete period's review,
keeps it in the archive and queues one message per recipient in the reviews' outbox
(``report_delivery``), which the outbox's own delivery sends: rate limits shared with the
alerts, retries with backoff, and a robot or e-mail message cut off mid-send left
``unconfirmed``, never sent twice. E-mail carries the files; a robot gets the Markdown summary
and a link to the archived review on the board.

Idempotent, with any number of runners:

1. a due time is claimed by one guarded UPDATE (``next_due_at`` moved on, ``running_due_at``
   set with a lease): of two runners only one wins it;
2. the archive is unique per schedule and due time (a runner that took over an abandoned run
   finds the review already kept);
3. each message has a unique key (archive, channel, recipient), and the outbox claims each
   message before it goes out.

A runner that dies between 1 and the end leaves ``running_due_at`` with an expired lease; the
next runner takes the run over (guarded by the old lease) and finishes it. Missed due times
(the board was down) are coalesced: one run, then the next due time after now.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.config import get_settings
from salesops.db.schema import (
    AlertChannel,
    OrgUnit,
    Rep,
    ReportArchive,
    ReportDelivery,
    ReportDeliveryLog,
    ReportFile,
    ReportSchedule,
)
from salesops.metrics.scope import FULL_SCOPE, Scope
from salesops.notify.outbox import DeliveryPolicy, Outbox, deliver_row, due_rows
from salesops.notify.render import Message, md
from salesops.reports.archive import check_formats, keep, render_files, visible
from salesops.reports.periods import check_kind, default_period, fiscal_start

log = logging.getLogger(__name__)

JOB_NAME = "report-schedules"
TICK_SECONDS = 60
#: how long a runner holds a claimed run before another may take it over
LEASE = dt.timedelta(minutes=15)


class ScheduleError(ValueError):
    """A schedule that cannot be saved, or no such schedule in the caller's scope."""


# ---------------------------------------------------------------------------- definitions


def _trigger(cron: str, zone: Any = None) -> Any:
    from salesops.schedule.cron import trigger

    return trigger(cron, zone)


def check_cron(text: str) -> str:
    """``text`` when it is a five-field cron line (``30 8 * * 1``: Mondays 08:30)."""
    line = " ".join(text.split())
    try:
        _trigger(line)
    except ValueError as exc:
        raise ScheduleError(
            f"{text!r} is not a cron line (minute hour day month weekday), e.g. "
            f"'30 8 * * 1' for every Monday 08:30 ({exc})"
        ) from None
    return line


def next_due(cron: str, after: dt.datetime) -> dt.datetime:
    """The first due time (naive UTC) of ``cron`` (board time zone) strictly after ``after``."""
    zone = ZoneInfo(get_settings().timezone)
    trigger = _trigger(cron, zone)
    aware = after.replace(tzinfo=dt.UTC) + dt.timedelta(seconds=1)
    fire = trigger.get_next_fire_time(None, aware)
    assert fire is not None  # a crontab always fires again
    return fire.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)


def parse_recipient(text: str) -> dict[str, Any]:
    """``CHANNEL`` or ``CHANNEL=a@x.cn,b@y.cn`` (an e-mail channel's own addresses)."""
    channel, _, rest = text.partition("=")
    to = [a.strip() for a in rest.split(",") if a.strip()]
    if not channel.strip():
        raise ScheduleError(f"recipient {text!r}: give a channel name (CHANNEL or CHANNEL=ADDR)")
    return {"channel": channel.strip(), "to": to}


@dataclass(frozen=True)
class Schedule:
    """A schedule as lists show it."""

    id: int
    name: str
    kind: str
    scope: str
    lang: str
    formats: tuple[str, ...]
    fiscal: bool
    cron: str
    recipients: tuple[dict[str, Any], ...]
    enabled: bool
    next_due_at: dt.datetime
    last_run_at: dt.datetime | None
    last_error: str | None
    created_by: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "scope": self.scope,
            "lang": self.lang,
            "formats": ",".join(self.formats),
            "fiscal": self.fiscal,
            "cron": self.cron,
            "recipients": ", ".join(_recipient_text(r) for r in self.recipients),
            "enabled": self.enabled,
            "next_due_at": self.next_due_at.isoformat(timespec="minutes") + "Z",
            "last_run_at": (
                self.last_run_at.isoformat(timespec="minutes") + "Z" if self.last_run_at else None
            ),
            "last_error": self.last_error,
            "created_by": self.created_by,
        }


def _recipient_text(r: dict[str, Any]) -> str:
    return r["channel"] + ("=" + ",".join(r["to"]) if r.get("to") else "")


def _schedule(r: Any) -> Schedule:
    return Schedule(
        id=int(r.id),
        name=r.name,
        kind=r.kind,
        scope=r.scope_name,
        lang=r.lang,
        formats=tuple(r.formats.split(",")),
        fiscal=bool(r.fiscal),
        cron=r.cron,
        recipients=tuple(json.loads(r.recipients)),
        enabled=bool(r.enabled),
        next_due_at=r.next_due_at,
        last_run_at=r.last_run_at,
        last_error=r.last_error,
        created_by=r.created_by,
    )


def add_schedule(
    engine: Engine,
    name: str,
    *,
    kind: str,
    scope: str | None,
    lang: str,
    formats: Sequence[str],
    cron: str,
    recipients: Sequence[str | dict[str, Any]],
    fiscal: bool = False,
    caller: Scope = FULL_SCOPE,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Schedule:
    """Save a new schedule (scope inside ``caller``'s; recipients existing channels). Audited
    (``report_schedule.create``)."""
    from salesops.reports.periods import PeriodError
    from salesops.reports.scope import ScopeError, resolve_scope

    name = name.strip()
    if not name or len(name) > 100:
        raise ScheduleError("a schedule needs a name of 1-100 characters")
    try:
        kind = check_kind(kind)
    except PeriodError as exc:
        raise ScheduleError(str(exc)) from None
    if lang not in ("zh", "en"):
        raise ScheduleError(f"unknown language {lang!r}; known: zh, en")
    if fiscal and kind not in ("quarterly", "yearly"):
        raise ScheduleError("only quarterly and yearly reviews can be fiscal")
    try:
        wanted = check_formats(formats)
    except ValueError as exc:
        raise ScheduleError(str(exc)) from None
    line = check_cron(cron)
    parsed = [parse_recipient(r) if isinstance(r, str) else dict(r) for r in recipients]
    if not parsed:
        raise ScheduleError("a schedule needs at least one recipient (an alert channel)")
    try:
        the_scope, scope_name = resolve_scope(engine, scope, caller, lang)
    except ScopeError as exc:
        raise ScheduleError(str(exc)) from None
    now = now or utcnow()
    with engine.begin() as conn:
        kinds = dict(
            conn.execute(
                select(AlertChannel.name, AlertChannel.kind).where(
                    AlertChannel.name.in_([r["channel"] for r in parsed])
                )
            ).all()
        )
        for r in parsed:
            if r["channel"] not in kinds:
                raise ScheduleError(f"no alert channel {r['channel']!r} (salesops alerts channel)")
            if r["to"] and kinds[r["channel"]] != "email":
                raise ScheduleError(f"channel {r['channel']!r} is not e-mail: no addresses")
            for addr in r["to"]:
                if "@" not in addr or len(addr) > 300:
                    raise ScheduleError(f"{addr!r} is not an e-mail address")
        if conn.execute(select(ReportSchedule.id).where(ReportSchedule.name == name)).first():
            raise ScheduleError(f"a schedule named {name!r} exists already")
        sid = conn.execute(
            insert(ReportSchedule)
            .values(
                name=name,
                kind=kind,
                scope_kind=the_scope.kind,
                org_unit_id=the_scope.org_unit_id,
                rep_id=the_scope.rep_id,
                scope_name=scope_name[:200],
                lang=lang,
                formats=",".join(wanted),
                fiscal=fiscal,
                cron=line,
                recipients=json.dumps(parsed, ensure_ascii=False),
                enabled=True,
                next_due_at=next_due(line, now),
                created_by=actor.name[:100],
                created_at=now,
            )
            .returning(ReportSchedule.id)
        ).scalar_one()
        record(
            conn,
            actor,
            "report_schedule.create",
            name,
            {"kind": kind, "scope": scope_name, "cron": line, "formats": wanted,
             "recipients": [_recipient_text(r) for r in parsed]},
        )  # fmt: skip
        row = conn.execute(select(ReportSchedule).where(ReportSchedule.id == sid)).one()
    return _schedule(row)


def list_schedules(engine: Engine, caller: Scope = FULL_SCOPE) -> list[Schedule]:
    """The schedules whose scope is inside ``caller``'s, by name."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ReportSchedule)
            .where(visible(conn, caller, ReportSchedule))
            .order_by(ReportSchedule.name)
        ).all()
    return [_schedule(r) for r in rows]


def _find(conn: Any, key: str | int, caller: Scope) -> Any:
    q = select(ReportSchedule).where(visible(conn, caller, ReportSchedule))
    if isinstance(key, int) or str(key).isdigit():
        q = q.where(or_(ReportSchedule.id == int(key), ReportSchedule.name == str(key)))
    else:
        q = q.where(ReportSchedule.name == key)
    row = conn.execute(q).first()
    if row is None:
        raise ScheduleError(f"no report schedule {key!r}")
    return row


def remove_schedule(
    engine: Engine, key: str | int, *, caller: Scope = FULL_SCOPE, actor: Actor
) -> str:
    """Forget a schedule (name or id) inside ``caller``'s scope; its archived reviews stay.
    Audited (``report_schedule.remove``)."""
    with engine.begin() as conn:
        row = _find(conn, key, caller)
        conn.execute(delete(ReportSchedule).where(ReportSchedule.id == row.id))
        record(conn, actor, "report_schedule.remove", row.name, {"id": int(row.id)})
    return str(row.name)


# ---------------------------------------------------------------------------- running


@dataclass
class RunSummary:
    """What one call of :func:`run_due` did."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    deliveries: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"runs": self.runs, "deliveries": self.deliveries}


def claim_due(engine: Engine, now: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """The (schedule, due time) pairs this runner won: fresh due times (``next_due_at`` moved
    on by a guarded UPDATE) and abandoned runs (expired lease, taken over by a guarded
    UPDATE). Of several runners, exactly one wins each."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ReportSchedule.id,
                ReportSchedule.cron,
                ReportSchedule.next_due_at,
                ReportSchedule.running_due_at,
                ReportSchedule.claimed_until,
            ).where(
                ReportSchedule.enabled.is_(True),
                or_(
                    and_(
                        ReportSchedule.running_due_at.is_(None),
                        ReportSchedule.next_due_at <= now,
                    ),
                    and_(
                        ReportSchedule.running_due_at.is_not(None),
                        ReportSchedule.claimed_until < now,
                    ),
                ),
            )
        ).all()
    won: list[tuple[int, dt.datetime]] = []
    for r in rows:
        if r.running_due_at is None:
            guard = and_(
                ReportSchedule.next_due_at == r.next_due_at,
                ReportSchedule.running_due_at.is_(None),
            )
            values = {
                "next_due_at": next_due(r.cron, now),
                "running_due_at": r.next_due_at,
                "claimed_until": now + LEASE,
            }
            due = r.next_due_at
        else:
            guard = and_(
                ReportSchedule.running_due_at == r.running_due_at,
                ReportSchedule.claimed_until == r.claimed_until,
            )
            values = {"claimed_until": now + LEASE}
            due = r.running_due_at
        try:
            with engine.begin() as conn:
                moved = conn.execute(
                    update(ReportSchedule).where(ReportSchedule.id == r.id, guard).values(**values)
                ).rowcount
        except DBAPIError:  # DuckDB: another runner's UPDATE of the row won the conflict
            moved = 0
        if moved == 1:
            won.append((int(r.id), due))
    return won


def _scope_text(conn: Any, r: Any) -> str:
    """The scope of a schedule as build_report reads it (an id, never a changeable name)."""
    if r.scope_kind == "org_unit":
        u = conn.execute(
            select(OrgUnit.external_id, OrgUnit.name).where(OrgUnit.id == r.org_unit_id)
        ).first()
        if u is None:
            raise ScheduleError(f"the org unit of schedule {r.name!r} no longer exists")
        return str(u.external_id or u.name)
    if r.scope_kind == "rep":
        p = conn.execute(select(Rep.external_id, Rep.name).where(Rep.id == r.rep_id)).first()
        if p is None:
            raise ScheduleError(f"the rep of schedule {r.name!r} no longer exists")
        return str(p.external_id or p.name)
    return "company"


def run_one(
    engine: Engine,
    schedule_id: int,
    due_at: dt.datetime,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Build, keep and queue the review of a claimed run (``due_at``); then release it.
    The period is the last complete one before the due time's day (board time zone)."""
    from salesops.reports.assemble import build_report

    with engine.connect() as conn:
        s = conn.execute(select(ReportSchedule).where(ReportSchedule.id == schedule_id)).one()
        kept = conn.execute(
            select(ReportArchive.id).where(
                ReportArchive.schedule_id == schedule_id, ReportArchive.due_at == due_at
            )
        ).scalar()
        scope_text = _scope_text(conn, s) if kept is None else ""
    zone = ZoneInfo(get_settings().timezone)
    day = today or due_at.replace(tzinfo=dt.UTC).astimezone(zone).date()
    out: dict[str, Any] = {"schedule": s.name, "due_at": due_at.isoformat() + "Z"}
    if kept is None:
        fy = fiscal_start() if s.fiscal else 1
        period = default_period(check_kind(s.kind), day, fy)
        report = build_report(engine, s.kind, period.label, scope_text, s.lang, today=day)
        files = render_files(report, s.formats.split(","))
        kept = keep(
            engine, report, files, source="schedule", actor=Actor(f"schedule:{s.name}"[:100]),
            schedule_id=schedule_id, due_at=due_at,
        )  # fmt: skip
    out["archive_id"] = int(kept)
    now = now or utcnow()
    out["queued"] = _enqueue(engine, int(kept), s, now)
    with engine.begin() as conn:
        conn.execute(
            update(ReportSchedule)
            .where(ReportSchedule.id == schedule_id, ReportSchedule.running_due_at == due_at)
            .values(running_due_at=None, claimed_until=None, last_run_at=now, last_error=None)
        )
    return out


def _enqueue(engine: Engine, archive_id: int, s: Any, now: dt.datetime) -> int:
    """One outbox message per recipient (an e-mail channel: per address); each once."""
    locale = "zh_CN" if s.lang == "zh" else "en"
    queued = 0
    with engine.connect() as conn:
        channels = dict(conn.execute(select(AlertChannel.name, AlertChannel.id)).all())
    for r in json.loads(s.recipients):
        cid = channels.get(r["channel"])
        if cid is None:
            log.warning("report schedule %s: no channel %r any more", s.name, r["channel"])
            continue
        for to in r.get("to") or [None]:
            try:
                with engine.begin() as conn:
                    conn.execute(
                        insert(ReportDelivery).values(
                            dedup_key=f"report:{archive_id}:{cid}:{to or ''}"[:300],
                            archive_id=archive_id,
                            channel_id=cid,
                            recipient=to,
                            locale=locale,
                            status="pending",
                            attempts=0,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
                queued += 1
            except (IntegrityError, DBAPIError):  # queued already (by this run's first runner)
                pass
    return queued


def _fail_run(engine: Engine, schedule_id: int, due_at: dt.datetime, error: str) -> None:
    """A run that cannot be made (its rep left, a render failed): recorded and released, so
    the schedule goes on with its next due time instead of retrying every minute."""
    with engine.begin() as conn:
        conn.execute(
            update(ReportSchedule)
            .where(ReportSchedule.id == schedule_id, ReportSchedule.running_due_at == due_at)
            .values(running_due_at=None, claimed_until=None, last_error=error[:500])
        )


def run_due(
    engine: Engine,
    *,
    now: dt.datetime | None = None,
    today: dt.date | None = None,
    policy: DeliveryPolicy | None = None,
) -> RunSummary:
    """The job: run every due schedule this runner wins, then deliver what is due in the
    reviews' outbox."""
    from salesops.notify.outbox import policy_from_settings

    now = now or utcnow()
    summary = RunSummary()
    for sid, due in claim_due(engine, now):
        try:
            summary.runs.append(run_one(engine, sid, due, today=today, now=now))
        except Exception as exc:  # one broken schedule never stops the others
            log.exception("report schedule %s failed", sid)
            _fail_run(engine, sid, due, f"{type(exc).__name__}: {exc}")
            summary.runs.append({"schedule_id": sid, "error": str(exc)[:500]})
    summary.deliveries = deliver_reports(engine, policy or policy_from_settings(), now=now)
    return summary


def run_now(
    engine: Engine, key: str | int, *, caller: Scope = FULL_SCOPE, actor: Actor,
    now: dt.datetime | None = None, today: dt.date | None = None,
    policy: DeliveryPolicy | None = None,
) -> RunSummary:  # fmt: skip
    """Make a schedule due now and run it (``salesops report schedule run NAME``). Audited."""
    now = now or utcnow()
    with engine.begin() as conn:
        row = _find(conn, key, caller)
        conn.execute(
            update(ReportSchedule)
            .where(ReportSchedule.id == row.id, ReportSchedule.running_due_at.is_(None))
            .values(next_due_at=now.replace(microsecond=0))
        )
        record(conn, actor, "report_schedule.run", row.name, {"id": int(row.id)})
    return run_due(engine, now=now, today=today, policy=policy)


def tick(engine: Engine) -> RunSummary:
    """The scheduler's job ``report-schedules``."""
    return run_due(engine)


# ---------------------------------------------------------------------------- delivery


_WORDS = {
    "open": ("在看板中查看", "Open in the board"),
    "files": ("附件", "Attached"),
    "period": ("期间", "Period"),
    "scope": ("范围", "Scope"),
}


def _w(key: str, zh: bool) -> str:
    return _WORDS[key][0 if zh else 1]


def archive_link(base_url: str, archive_id: int) -> str:
    return f"{base_url.rstrip('/')}/reports?archive={archive_id}"


def _compose_report(
    conn: Any, d: Any, policy: DeliveryPolicy
) -> tuple[Message, str, dict[str, Any], str | None]:
    """A review as a message: the title, the summary sentences, the period and scope and the
    link to the archived review; an e-mail also carries the archived files."""
    a = conn.execute(select(ReportArchive).where(ReportArchive.id == d.archive_id)).one()
    zh = not d.locale.lower().startswith("en")
    summary = [str(s) for s in json.loads(a.summary or "[]")]
    link = archive_link(policy.base_url, int(a.id))
    where = f"{_w('period', zh)}: {a.period_start} – {a.period_end} · {_w('scope', zh)}: "
    markdown = "\n\n".join(
        [f"### {md(a.title)}", where + md(a.scope_name), *(f"- {md(s)}" for s in summary),
         f"[{_w('open', zh)}]({link})"]
    )  # fmt: skip
    slack = "\n".join(
        [where + a.scope_name.replace("<", "‹").replace("&", "＆"), *(f"• {s}" for s in summary),
         f"<{link}|{_w('open', zh)}>"]
    )  # fmt: skip
    text = "\n\n".join([a.title, where + a.scope_name, *summary, f"{_w('open', zh)}: {link}"])
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    channel_kind = conn.execute(
        select(AlertChannel.kind).where(AlertChannel.id == d.channel_id)
    ).scalar()
    if channel_kind == "email":
        import base64

        from salesops.reports.render import MEDIA_TYPES

        files = conn.execute(
            select(ReportFile.filename, ReportFile.format, ReportFile.content)
            .where(ReportFile.archive_id == a.id)
            .order_by(ReportFile.id)
        ).all()
        attachments = tuple(
            (f.filename, MEDIA_TYPES[f.format], base64.b64decode(f.content)) for f in files
        )
    names = ", ".join(html.escape(a_[0]) for a_ in attachments)
    body = "".join(
        [
            f"<h2>{html.escape(a.title)}</h2>",
            f"<p>{html.escape(where + a.scope_name)}</p>",
            "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in summary) + "</ul>",
            f"<p>{_w('files', zh)}: {names}</p>" if names else "",
            f'<p><a href="{html.escape(link)}">{_w("open", zh)}</a></p>',
        ]
    )
    msg = Message(a.title, markdown, slack, text, body, link, attachments)
    key = f"salesops-report-{a.id}-{d.channel_id}-{d.id}"
    payload = {
        "report_id": int(a.id),
        "kind": a.kind,
        "period": a.period,
        "scope": a.scope_name,
        "summary": summary,
        "link": link,
    }
    return msg, key, payload, None


REPORTS = Outbox(ReportDelivery, ReportDeliveryLog, _compose_report)


def deliver_reports(
    engine: Engine, policy: DeliveryPolicy, *, now: dt.datetime | None = None, limit: int = 200
) -> dict[str, int]:
    """Send what is due in the reviews' outbox (the outbox's delivery); counts by outcome."""
    counts: dict[str, int] = {}
    for i in due_rows(engine, ReportDelivery, now or utcnow(), limit):
        try:
            result = deliver_row(engine, REPORTS, i, policy, now)
        except DBAPIError:  # DuckDB: another runner claimed it in the same instant
            result = None
        if result:
            counts[result] = counts.get(result, 0) + 1
    return counts


def deliveries(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    """The reviews' outbox, newest first (never a channel's URL or secret)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ReportDelivery, AlertChannel.name.label("channel"))
            .join(AlertChannel, AlertChannel.id == ReportDelivery.channel_id)
            .order_by(ReportDelivery.id.desc())
            .limit(limit)
        ).all()
    return [
        {
            "id": r.id,
            "archive_id": r.archive_id,
            "channel": r.channel,
            "recipient": r.recipient,
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
        }
        for r in rows
    ]
