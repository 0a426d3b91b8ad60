"""Channels and subscriptions in the database, and the delivery of the outbox.

Delivery of one outbox row: claim it (a conditional UPDATE to ``sending`` with a lease,
committed before anything goes out), send, then record the outcome and one log row. A runner
killed while sending leaves the row ``sending``; when its lease ends nobody knows whether the
message went out:

* a generic webhook is sent again with the same ``Idempotency-Key`` header (a receiver that
  honours the key sees it once);
* a group robot (DingTalk, WeCom, Feishu, Slack) or an e-mail has no such key, so sending it
  again could show it twice: the row becomes ``unconfirmed`` and waits for a person to look and
  resend it (:func:`resend`: the alerts page, ``POST /api/v1/alerts/deliveries/{id}/resend``,
  ``salesops alerts resend``).

Timeouts, 5xx and rate-limit answers are retried with exponential backoff
(``retry_base_seconds`` x 2^(attempt-1), at most an hour) until ``max_attempts``; then the row
is ``failed``. Other answers fail at once. A channel over its vendor's rate limit and an alert
in its rule's quiet hours wait without using an attempt.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, insert, or_, select, update

from salesops.auth import secretbox
from salesops.auth.audit import Actor, record
from salesops.auth.secrets import utcnow
from salesops.db.schema import (
    Alert,
    AlertChannel,
    AlertDelivery,
    AlertDeliveryLog,
    AlertRule,
    AlertSubscription,
    AppUser,
    OrgUnit,
    ReportDeliveryLog,
)
from salesops.notify.channels import (
    RATE_LIMITS,
    ChannelError,
    Outcome,
    build_request,
    check_target,
    hint,
    send_email,
    send_http,
)
from salesops.notify.render import Message, render, test_message

#: Channel kinds whose receivers cannot recognise a repeated message: an interrupted send of
#: theirs is ``unconfirmed``, never repeated automatically.
UNKEYED = frozenset({"dingtalk", "wecom", "feishu", "slack", "email"})
#: Statuses a person may send again.
RESENDABLE = ("unconfirmed", "failed")


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    timeout_seconds: float = 10.0
    base_url: str = "http://127.0.0.1:8000"
    lease_seconds: float = 120.0
    #: at most this many item alerts in one digest message (1: no digests)
    digest_max: int = 20


def policy_from_settings() -> DeliveryPolicy:
    from salesops.config import get_settings

    s = get_settings()
    return DeliveryPolicy(
        max_attempts=s.alert_max_attempts,
        retry_base_seconds=s.alert_retry_seconds,
        timeout_seconds=s.alert_timeout_seconds,
        base_url=s.public_url,
        lease_seconds=s.alert_lease_seconds,
    )


# ---------------------------------------------------------------------------- channels


def save_channel(
    engine: Engine,
    name: str,
    kind: str,
    *,
    target: str | None,
    secret: str | None = None,
    settings: dict[str, Any] | None = None,
    actor: Actor,
) -> int:
    """Create or replace a channel; ``target`` and ``secret`` are sealed before storing."""
    settings = dict(settings or {})
    check_target(kind, target, settings)
    if not name or len(name) > 100:
        raise ChannelError("a channel needs a name of 1-100 characters")
    values = {
        "kind": kind,
        "target": secretbox.seal(target) if target else None,
        "secret": secretbox.seal(secret) if secret else None,
        "hint": hint(kind, target),
        "settings": json.dumps(settings, ensure_ascii=False),
        "enabled": True,
    }
    with engine.begin() as conn:
        found = conn.execute(select(AlertChannel.id).where(AlertChannel.name == name)).first()
        if found is None:
            cid = conn.execute(
                insert(AlertChannel)
                .values(name=name, created_at=utcnow(), created_by=actor.name, **values)
                .returning(AlertChannel.id)
            ).scalar_one()
        else:
            cid = found[0]
            conn.execute(update(AlertChannel).where(AlertChannel.id == cid).values(**values))
        record(conn, actor, "alert_channel.save", name, {"kind": kind, "signed": bool(secret)})
    return int(cid)


def subscribe(
    engine: Engine,
    channel: str,
    *,
    kind: str,
    who: str | None = None,
    min_severity: str = "info",
    actor: Actor,
) -> int:
    """Subscribe ``all``, an ``org_unit`` (external id or name), a ``user`` (login) or a
    ``role`` to a channel."""
    with engine.begin() as conn:
        cid = conn.execute(select(AlertChannel.id).where(AlertChannel.name == channel)).scalar()
        if cid is None:
            raise ChannelError(f"no channel {channel!r}")
        values: dict[str, Any] = {"channel_id": cid, "subscriber_kind": kind}
        if kind == "org_unit":
            unit = conn.execute(
                select(OrgUnit.id).where(or_(OrgUnit.external_id == who, OrgUnit.name == who))
            ).scalar()
            if unit is None:
                raise ChannelError(f"no org unit {who!r}")
            values["org_unit_id"] = unit
        elif kind == "user":
            uid = conn.execute(select(AppUser.id).where(AppUser.username == who)).scalar()
            if uid is None:
                raise ChannelError(f"no user {who!r}")
            values["user_id"] = uid
        elif kind == "role":
            from salesops.auth.roles import ROLES

            if who not in ROLES:
                raise ChannelError(f"no role {who!r}")
            values["role"] = who
        elif kind != "all":
            raise ChannelError("subscriber kind is all, org_unit, user or role")
        sid = conn.execute(
            insert(AlertSubscription)
            .values(min_severity=min_severity, **values)
            .returning(AlertSubscription.id)
        ).scalar_one()
        record(conn, actor, "alert_subscription.create", channel, {"kind": kind, "who": who})
    return int(sid)


def list_channels(engine: Engine) -> list[dict[str, Any]]:
    """Channels as lists show them: never the URL or secret, only the hint."""
    with engine.connect() as conn:
        rows = conn.execute(select(AlertChannel).order_by(AlertChannel.name)).all()
        subs = conn.execute(
            select(AlertSubscription.channel_id, func.count()).group_by(
                AlertSubscription.channel_id
            )
        ).all()
    counts = {r[0]: r[1] for r in subs}
    return [
        {
            "name": r.name,
            "kind": r.kind,
            "hint": r.hint,
            "signed": r.secret is not None,
            "enabled": r.enabled,
            "subscriptions": int(counts.get(r.id, 0)),
        }
        for r in rows
    ]


# ---------------------------------------------------------------------------- sending


def _in_quiet(quiet: str | None, now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours (UTC, naive) when ``now`` (naive UTC) is inside them."""
    if not quiet:
        return None
    from salesops.config import get_settings

    zone = ZoneInfo(get_settings().timezone)
    local = now.replace(tzinfo=dt.UTC).astimezone(zone)
    start_s, end_s = quiet.split("-")
    start = dt.time.fromisoformat(start_s)
    end = dt.time.fromisoformat(end_s)
    t = local.time()
    inside = (start <= t < end) if start <= end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    until = dt.datetime.combine(end_day, end, tzinfo=zone)
    return until.astimezone(dt.UTC).replace(tzinfo=None)


def _rate_wait(conn: Any, channel_id: int, kind: str, now: dt.datetime) -> float:
    """Seconds to wait before the channel may send again (0: now)."""
    wait = 0.0
    for limit, seconds in RATE_LIMITS.get(kind, []):
        since = now - dt.timedelta(seconds=seconds)
        times: list[dt.datetime] = []
        for log in (AlertDeliveryLog, ReportDeliveryLog):  # alerts and reviews share the limit
            times += (
                conn.execute(
                    select(log.logged_at)
                    .where(
                        log.channel_id == channel_id,
                        log.logged_at > since,
                        log.status.in_(("sent", "retry", "failed")),
                    )
                    .order_by(log.logged_at.desc())
                    .limit(limit)
                )
                .scalars()
                .all()
            )
        times = sorted(times, reverse=True)[:limit]
        if len(times) >= limit:
            oldest = times[-1]
            wait = max(wait, (oldest + dt.timedelta(seconds=seconds) - now).total_seconds())
    return wait


def _alert_dict(conn: Any, alert_id: int) -> dict[str, Any]:
    r = conn.execute(
        select(Alert, AlertRule.quiet_hours)
        .join(AlertRule, AlertRule.id == Alert.rule_id)
        .where(Alert.id == alert_id)
    ).one()
    return {
        "id": r.id,
        "severity": r.severity,
        "link": r.link,
        "explanation": json.loads(r.explanation),
        "quiet_hours": r.quiet_hours,
    }


def _send(
    channel: Any,
    msg: Message,
    key: str,
    recipient: str | None,
    payload: dict[str, Any],
    policy: DeliveryPolicy,
) -> Outcome:
    target = secretbox.unseal(channel.target) if channel.target else None
    secret = secretbox.unseal(channel.secret) if channel.secret else None
    settings = json.loads(channel.settings or "{}")
    if channel.kind == "email":
        to = [recipient] if recipient else list(settings.get("to") or [])
        return send_email(settings, target, to, msg, key=key, timeout=policy.timeout_seconds)
    assert target is not None
    req = build_request(channel.kind, target, secret, msg, key=key, payload=payload)
    return send_http(req, channel.kind, policy.timeout_seconds)


def deliver_due(
    engine: Engine,
    policy: DeliveryPolicy | None = None,
    *,
    now: dt.datetime | None = None,
    limit: int = 200,
) -> dict[str, int]:
    """Send what is due in the outbox; counts of sent/retry/failed/held."""
    policy = policy or policy_from_settings()
    counts = {"sent": 0, "retry": 0, "failed": 0, "held": 0, "unconfirmed": 0}
    start = now or utcnow()
    due = due_rows(engine, AlertDelivery, start, limit)
    for ids in _digests(engine, due, policy):
        if len(ids) == 1:
            result = _deliver_one(engine, ids[0], policy, now)
            if result:
                counts[result] += 1
        else:
            for result, n in _deliver_digest(engine, ids, policy, now).items():
                counts[result] += n
    return counts


def _digests(engine: Engine, due: list[int], policy: DeliveryPolicy) -> list[list[int]]:
    """The due rows in sending order, item alerts bundled: for a group robot or e-mail, the
    new item alerts (stuck deals, churn warnings ...) of one team or rep that wait for the
    same channel and recipient go out as one digest message (a first run on a big company is
    tens of messages, not hundreds). Everything else, and rows being recovered, goes alone."""
    if not due or policy.digest_max <= 1:
        return [[i] for i in due]
    from salesops.alerts.rules import ITEM_KINDS

    with engine.connect() as conn:
        rows = conn.execute(
            select(
                AlertDelivery.id,
                AlertDelivery.status,
                AlertDelivery.channel_id,
                AlertDelivery.recipient,
                AlertDelivery.locale,
                AlertChannel.kind,
                Alert.scope_kind,
                Alert.org_unit_id,
                Alert.rep_id,
                AlertRule.kind.label("rule_kind"),
            )
            .join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
            .join(Alert, Alert.id == AlertDelivery.alert_id)
            .join(AlertRule, AlertRule.id == Alert.rule_id)
            .where(AlertDelivery.id.in_(due))
        ).all()
    info = {int(r.id): r for r in rows}
    out: list[list[int]] = []
    bundles: dict[tuple[Any, ...], list[int]] = {}
    for i in due:
        r = info.get(i)
        if (
            r is None
            or r.status == "sending"
            or r.kind not in UNKEYED
            or r.rule_kind not in ITEM_KINDS
        ):
            out.append([i])
            continue
        key = (r.channel_id, r.recipient, r.locale, r.scope_kind, r.org_unit_id, r.rep_id)
        bundle = bundles.get(key)
        if bundle is None or len(bundle) >= policy.digest_max:
            bundle = bundles[key] = []
            out.append(bundle)
        bundle.append(i)
    return out


def _deliver_digest(
    engine: Engine, ids: list[int], policy: DeliveryPolicy, fixed_now: dt.datetime | None
) -> dict[str, int]:
    """Send several outbox rows of one channel and recipient as one digest message: all are
    claimed together (``sending``, one lease) before it goes out, and all get its outcome. The
    first row's log entry is the send (rate limits count it once); the others say they rode
    along. Rows in their rule's quiet hours wait, the rest go."""
    from salesops.notify.render import digest

    counts: dict[str, int] = {}
    now = fixed_now or utcnow()
    lease = now + dt.timedelta(seconds=policy.lease_seconds)
    with engine.begin() as conn:
        rows = conn.execute(
            select(AlertDelivery).where(AlertDelivery.id.in_(ids)).order_by(AlertDelivery.id)
        ).all()
        channel = conn.execute(
            select(AlertChannel).where(AlertChannel.id == rows[0].channel_id)
        ).one()
        alerts = {r.id: _alert_dict(conn, r.alert_id) for r in rows}
        held: list[tuple[int, dt.datetime]] = []
        for r in rows:
            until = _in_quiet(alerts[r.id]["quiet_hours"], now)
            if until is not None:
                held.append((r.id, until))
        wait = _rate_wait(conn, channel.id, channel.kind, now)
        if wait > 0:
            held = [(r.id, now + dt.timedelta(seconds=wait)) for r in rows]
        for rid, until in held:
            conn.execute(
                update(AlertDelivery)
                .where(AlertDelivery.id == rid, AlertDelivery.status != "sent")
                .values(next_attempt_at=until)
            )
        if held:
            counts["held"] = len(held)
        waiting = {rid for rid, _ in held}
        go = [r for r in rows if r.id not in waiting]
        if not go:
            return counts
        conn.execute(
            update(AlertDelivery)
            .where(
                AlertDelivery.id.in_([r.id for r in go]),
                AlertDelivery.status.in_(("pending", "retry")),
            )
            .values(status="sending", claimed_until=lease, attempts=AlertDelivery.attempts + 1)
        )
        mine = set(
            conn.execute(
                select(AlertDelivery.id).where(
                    AlertDelivery.id.in_([r.id for r in go]),
                    AlertDelivery.status == "sending",
                    AlertDelivery.claimed_until == lease,
                )
            ).scalars()
        )
    go = [r for r in go if r.id in mine]
    if not go:
        return counts
    first = go[0]
    group = alerts[first.id]["explanation"].get("scope", {})
    zh = not first.locale.lower().startswith("en")
    name = str(group.get("zh" if zh else "en") or "")
    ordered = sorted(go, key=lambda r: (-_rank(alerts[r.id]["severity"]), r.id))
    msg = digest([alerts[r.id] for r in ordered], first.locale, policy.base_url, name)
    key = f"salesops-digest-{first.id}-{len(go)}-{channel.id}"
    payload = {"alert_ids": [alerts[r.id]["id"] for r in ordered]}
    started = time.perf_counter()
    try:
        outcome = _send(channel, msg, key, first.recipient, payload, policy)
    except secretbox.SecretError:
        outcome = Outcome("failed", None, "the channel's secret cannot be opened with this key")
    ms = int((time.perf_counter() - started) * 1000)
    done = fixed_now or utcnow()
    with engine.begin() as conn:
        for n, r in enumerate(go):
            attempt = r.attempts + 1
            status = outcome.status
            if status == "retry" and attempt >= policy.max_attempts:
                status = "failed"
            backoff = min(policy.retry_base_seconds * 2 ** (attempt - 1), 3600)
            conn.execute(
                update(AlertDelivery)
                .where(AlertDelivery.id == r.id)
                .values(
                    status=status,
                    claimed_until=None,
                    response_code=outcome.code,
                    last_error=None if status == "sent" else outcome.detail[:500],
                    sent_at=done if status == "sent" else None,
                    next_attempt_at=done + dt.timedelta(seconds=backoff),
                )
            )
            detail = outcome.detail if n == 0 else f"in the digest sent as delivery {first.id}"
            conn.execute(
                insert(AlertDeliveryLog).values(
                    delivery_id=r.id,
                    channel_id=channel.id,
                    attempt=attempt,
                    logged_at=done,
                    status=status if n == 0 else "digest",
                    response_code=outcome.code,
                    detail=f"digest of {len(go)}: {detail}"[:500],
                    duration_ms=ms if n == 0 else None,
                )
            )
            counts[status] = counts.get(status, 0) + 1
    return counts


def _rank(severity: str) -> int:
    return {"info": 0, "warning": 1, "critical": 2}.get(severity, 0)


@dataclass(frozen=True)
class Outbox:
    """One outbox table and its log: alerts (``alert_delivery``) or reviews
    (``report_delivery``). ``compose(conn, row, policy)`` is the message of a row, its
    idempotency key, the generic webhook's extra payload and the quiet hours it waits for."""

    rows: Any
    logs: Any
    compose: Callable[[Any, Any, DeliveryPolicy], tuple[Message, str, dict[str, Any], str | None]]


def _compose_alert(
    conn: Any, d: Any, policy: DeliveryPolicy
) -> tuple[Message, str, dict[str, Any], str | None]:
    alert = _alert_dict(conn, d.alert_id)
    msg = render(alert, d.locale, policy.base_url)
    key = f"salesops-alert-{d.alert_id}-{d.channel_id}-{d.id}"
    payload = {
        "alert_id": d.alert_id,
        "severity": alert["severity"],
        "explanation": alert["explanation"],
    }
    return msg, key, payload, alert["quiet_hours"]


ALERTS = Outbox(AlertDelivery, AlertDeliveryLog, _compose_alert)


def _deliver_one(
    engine: Engine, delivery_id: int, policy: DeliveryPolicy, fixed_now: dt.datetime | None
) -> str | None:
    return deliver_row(engine, ALERTS, delivery_id, policy, fixed_now)


def deliver_row(
    engine: Engine,
    box: Outbox,
    delivery_id: int,
    policy: DeliveryPolicy,
    fixed_now: dt.datetime | None,
) -> str | None:
    """Deliver one row of ``box``: claim it (committed before anything goes out), send it,
    record the outcome and one log row. None when another runner has it."""
    rows, logs = box.rows, box.logs
    now = fixed_now or utcnow()
    with engine.begin() as conn:
        d = conn.execute(select(rows).where(rows.id == delivery_id)).one()
        channel = conn.execute(select(AlertChannel).where(AlertChannel.id == d.channel_id)).one()
        if d.status == "sending" and channel.kind in UNKEYED:
            return _unconfirmed(conn, box, d, channel.id, now)
        msg, key, payload, quiet = box.compose(conn, d, policy)
        hold = _in_quiet(quiet, now)
        wait = _rate_wait(conn, channel.id, channel.kind, now) if hold is None else 0.0
        if hold is not None or wait > 0:
            until = hold or now + dt.timedelta(seconds=wait)
            conn.execute(
                update(rows)
                .where(rows.id == delivery_id, rows.status != "sent")
                .values(next_attempt_at=until)
            )
            return "held"
        claimed = conn.execute(
            update(rows)
            .where(
                rows.id == delivery_id,
                or_(
                    rows.status.in_(("pending", "retry")),
                    and_(rows.status == "sending", rows.claimed_until < now),
                ),
            )
            .values(
                status="sending",
                claimed_until=now + dt.timedelta(seconds=policy.lease_seconds),
                attempts=d.attempts + 1,
            )
        ).rowcount
    if claimed != 1:
        return None  # another runner has it
    attempt = d.attempts + 1
    started = time.perf_counter()
    try:
        outcome = _send(channel, msg, key, d.recipient, payload, policy)
    except secretbox.SecretError:
        outcome = Outcome("failed", None, "the channel's secret cannot be opened with this key")
    ms = int((time.perf_counter() - started) * 1000)
    status = outcome.status
    if status == "retry" and attempt >= policy.max_attempts:
        status = "failed"
    done = fixed_now or utcnow()
    backoff = min(policy.retry_base_seconds * 2 ** (attempt - 1), 3600)
    with engine.begin() as conn:
        conn.execute(
            update(rows)
            .where(rows.id == delivery_id)
            .values(
                status=status,
                claimed_until=None,
                response_code=outcome.code,
                last_error=None if status == "sent" else outcome.detail[:500],
                sent_at=done if status == "sent" else None,
                next_attempt_at=done + dt.timedelta(seconds=backoff),
            )
        )
        conn.execute(
            insert(logs).values(
                delivery_id=delivery_id,
                channel_id=channel.id,
                attempt=attempt,
                logged_at=done,
                status=status,
                response_code=outcome.code,
                detail=outcome.detail[:500],
                duration_ms=ms,
            )
        )
    return status


def due_rows(engine: Engine, rows: Any, start: dt.datetime, limit: int) -> list[int]:
    """Ids of ``rows`` due now: pending or retrying, or sending with an expired lease."""
    with engine.connect() as conn:
        found = conn.execute(
            select(rows.id)
            .where(
                or_(
                    and_(rows.status.in_(("pending", "retry")), rows.next_attempt_at <= start),
                    and_(rows.status == "sending", rows.claimed_until < start),
                )
            )
            .order_by(rows.next_attempt_at, rows.id)
            .limit(limit)
        )
        return [int(i) for i in found.scalars()]


def _unconfirmed(conn: Any, box: Outbox, d: Any, channel_id: int, now: dt.datetime) -> str | None:
    """A robot or e-mail message whose sender died after claiming it: it may have gone out.
    Mark it ``unconfirmed`` (once, even with several runners) instead of sending it again."""
    rows = box.rows
    done = conn.execute(
        update(rows)
        .where(rows.id == d.id, rows.status == "sending", rows.claimed_until < now)
        .values(
            status="unconfirmed",
            claimed_until=None,
            last_error="interrupted while sending; it may have gone out: check, then resend",
        )
    ).rowcount
    if done != 1:
        return None
    conn.execute(
        insert(box.logs).values(
            delivery_id=d.id,
            channel_id=channel_id,
            attempt=d.attempts,
            logged_at=now,
            status="unconfirmed",
            response_code=None,
            detail="the sender stopped before the answer was recorded; not resent automatically",
            duration_ms=None,
        )
    )
    return "unconfirmed"


class ResendError(LookupError):
    """No such delivery, or not one that can be sent again."""


def resend(
    engine: Engine,
    delivery_ids: list[int] | None,
    actor: Actor,
    *,
    now: dt.datetime | None = None,
) -> list[int]:
    """Queue ``unconfirmed`` or ``failed`` messages again (``None``: every unconfirmed one),
    with fresh tries and the same idempotency key; the ids queued. Audited."""
    now = now or utcnow()
    with engine.begin() as conn:
        q = select(AlertDelivery.id, AlertDelivery.status)
        if delivery_ids is None:
            q = q.where(AlertDelivery.status == "unconfirmed")
        else:
            q = q.where(AlertDelivery.id.in_(delivery_ids))
        rows = conn.execute(q.order_by(AlertDelivery.id)).all()
        if delivery_ids is not None:
            found = {int(r[0]): r[1] for r in rows}
            for wanted in delivery_ids:
                if wanted not in found:
                    raise ResendError(f"no delivery {wanted}")
                if found[wanted] not in RESENDABLE:
                    raise ResendError(
                        f"delivery {wanted} is {found[wanted]}; only unconfirmed or failed "
                        "messages are sent again"
                    )
        ids = [int(r[0]) for r in rows]
        if ids:
            conn.execute(
                update(AlertDelivery)
                .where(AlertDelivery.id.in_(ids), AlertDelivery.status.in_(RESENDABLE))
                .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
            )
            for i in ids:
                conn.execute(
                    insert(AlertDeliveryLog).values(
                        delivery_id=i,
                        channel_id=conn.execute(
                            select(AlertDelivery.channel_id).where(AlertDelivery.id == i)
                        ).scalar_one(),
                        attempt=0,
                        logged_at=now,
                        status="resend",
                        detail=f"queued again by {actor.name}",
                    )
                )
            record(conn, actor, "alert_delivery.resend", None, {"ids": ids})
    return ids


def send_test(
    engine: Engine, channel: str, policy: DeliveryPolicy | None = None, locale: str = "zh_CN"
) -> Outcome:
    """Send a test message through ``channel`` now (not through the outbox)."""
    policy = policy or policy_from_settings()
    with engine.connect() as conn:
        row = conn.execute(select(AlertChannel).where(AlertChannel.name == channel)).first()
    if row is None:
        raise ChannelError(f"no channel {channel!r}")
    msg = test_message(channel, locale, policy.base_url)
    key = f"salesops-test-{row.id}-{int(time.time())}"
    return _send(row, msg, key, None, {"test": True}, policy)


def delivery_log(engine: Engine, limit: int = 200) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AlertDeliveryLog, AlertChannel.name.label("channel"), AlertDelivery.alert_id)
            .join(AlertChannel, AlertChannel.id == AlertDeliveryLog.channel_id)
            .join(AlertDelivery, AlertDelivery.id == AlertDeliveryLog.delivery_id)
            .order_by(AlertDeliveryLog.id.desc())
            .limit(limit)
        ).all()
    return [
        {
            "delivery_id": r.delivery_id,
            "alert_id": r.alert_id,
            "channel": r.channel,
            "attempt": r.attempt,
            "status": r.status,
            "response_code": r.response_code,
            "at": r.logged_at.isoformat(),
            "detail": r.detail,
            "duration_ms": r.duration_ms,
        }
        for r in rows
    ]


def outbox_rows(
    engine: Engine, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Outbox messages, newest first (never a channel's URL or secret)."""
    q = (
        select(AlertDelivery, AlertChannel.name.label("channel"))
        .join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
        .order_by(AlertDelivery.id.desc())
        .limit(limit)
    )
    if status:
        q = q.where(AlertDelivery.status == status)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [
        {
            "id": r.id,
            "alert_id": r.alert_id,
            "channel": r.channel,
            "recipient": r.recipient,
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
        }
        for r in rows
    ]
