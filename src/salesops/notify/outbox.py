"""Channels and subscriptions in the database, and the delivery of the outbox.

Delivery of one outbox row: claim it (a conditional UPDATE to ``sending`` with a lease,
committed), send, then record the outcome and one log row. A runner killed while sending
leaves the row ``sending``; when its lease ends the next runner sends it again with the same
idempotency key (``Idempotency-Key`` header, e-mail ``Message-ID``), so nothing is lost and a
receiver that honours the key sees it once. Timeouts, 5xx and rate-limit answers are retried
with exponential backoff (``retry_base_seconds`` x 2^(attempt-1), at most an hour) until
``max_attempts``; then the row is ``failed``. Other answers fail at once. A channel over its
vendor's rate limit and an alert in its rule's quiet hours wait without using an attempt.
"""

from __future__ import annotations

import datetime as dt
import json
import time
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


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    timeout_seconds: float = 10.0
    base_url: str = "http://127.0.0.1:8000"
    lease_seconds: float = 120.0


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
        times = (
            conn.execute(
                select(AlertDeliveryLog.logged_at)
                .where(
                    AlertDeliveryLog.channel_id == channel_id,
                    AlertDeliveryLog.logged_at > since,
                    AlertDeliveryLog.status.in_(("sent", "retry", "failed")),
                )
                .order_by(AlertDeliveryLog.logged_at.desc())
                .limit(limit)
            )
            .scalars()
            .all()
        )
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
    counts = {"sent": 0, "retry": 0, "failed": 0, "held": 0}
    start = now or utcnow()
    with engine.connect() as conn:
        due = (
            conn.execute(
                select(AlertDelivery.id)
                .where(
                    or_(
                        and_(
                            AlertDelivery.status.in_(("pending", "retry")),
                            AlertDelivery.next_attempt_at <= start,
                        ),
                        and_(
                            AlertDelivery.status == "sending", AlertDelivery.claimed_until < start
                        ),
                    )
                )
                .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
    for delivery_id in due:
        result = _deliver_one(engine, int(delivery_id), policy, now)
        if result:
            counts[result] += 1
    return counts


def _deliver_one(
    engine: Engine, delivery_id: int, policy: DeliveryPolicy, fixed_now: dt.datetime | None
) -> str | None:
    now = fixed_now or utcnow()
    with engine.begin() as conn:
        d = conn.execute(select(AlertDelivery).where(AlertDelivery.id == delivery_id)).one()
        channel = conn.execute(select(AlertChannel).where(AlertChannel.id == d.channel_id)).one()
        alert = _alert_dict(conn, d.alert_id)
        hold = _in_quiet(alert["quiet_hours"], now)
        wait = _rate_wait(conn, channel.id, channel.kind, now) if hold is None else 0.0
        if hold is not None or wait > 0:
            until = hold or now + dt.timedelta(seconds=wait)
            conn.execute(
                update(AlertDelivery)
                .where(AlertDelivery.id == delivery_id, AlertDelivery.status != "sent")
                .values(next_attempt_at=until)
            )
            return "held"
        claimed = conn.execute(
            update(AlertDelivery)
            .where(
                AlertDelivery.id == delivery_id,
                or_(
                    AlertDelivery.status.in_(("pending", "retry")),
                    and_(AlertDelivery.status == "sending", AlertDelivery.claimed_until < now),
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
    msg = render(alert, d.locale, policy.base_url)
    key = f"salesops-alert-{d.alert_id}-{d.channel_id}-{d.id}"
    payload = {
        "alert_id": d.alert_id,
        "severity": alert["severity"],
        "explanation": alert["explanation"],
    }
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
            update(AlertDelivery)
            .where(AlertDelivery.id == delivery_id)
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
            insert(AlertDeliveryLog).values(
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
