"""``/api/v1/alerts``: fired alerts (within the caller's scope), acknowledge and snooze; rules
(list, import YAML, preview, delete); channels (secrets never shown); the delivery log; a run.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query
from pydantic import BaseModel, Field

from salesops.api.deps import ActorDep, EngineDep, Require, RowId, ScopeDep
from salesops.api.errors import responses
from salesops.auth.roles import Permission as P

router = APIRouter(prefix="/alerts", tags=["alerts"])

State = Literal["active", "snoozed", "acknowledged", "all"]
Sev = Literal["info", "warning", "critical"]


class AlertsOut(BaseModel):
    alerts: list[dict[str, Any]]
    active: int = Field(description="active alerts in the caller's scope (the bell's count)")


class CountOut(BaseModel):
    active: int


class SnoozeIn(BaseModel):
    hours: int = Field(ge=1, le=720)


class RulesOut(BaseModel):
    rules: list[dict[str, Any]]


class ImportOut(BaseModel):
    created: int
    updated: int


class PreviewOut(BaseModel):
    rule: dict[str, str]
    days: int
    fired: int = Field(description="distinct alerts the rule would have fired")
    examples: list[dict[str, Any]]


class ChannelsOut(BaseModel):
    channels: list[dict[str, Any]]


class ChannelIn(BaseModel):
    kind: Literal["dingtalk", "wecom", "feishu", "slack", "webhook", "email"]
    url: str | None = Field(default=None, max_length=2000, description="stored sealed")
    secret: str | None = Field(default=None, max_length=500, description="stored sealed")
    settings: dict[str, Any] = Field(default_factory=dict)


class LogOut(BaseModel):
    log: list[dict[str, Any]]


class RunOut(BaseModel):
    report: dict[str, Any]


@router.get("", dependencies=[Require(P.VIEW_BOARD)], summary="Alerts in the caller's scope")
def list_alerts(
    engine: EngineDep,
    scope: ScopeDep,
    state: State = "active",
    severity: Sev | None = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> AlertsOut:
    """Newest first, each with its explanation (rule in words, value, baseline, period, scope,
    contributors or items, link) and its deliveries."""
    from salesops.alerts.store import alert_rows, count_active

    rows = alert_rows(engine, scope, state=state, severity=severity, rule=rule, limit=limit)
    return AlertsOut(alerts=rows, active=count_active(engine, scope))


@router.get("/count", dependencies=[Require(P.VIEW_BOARD)], summary="The bell's count")
def alert_count(engine: EngineDep, scope: ScopeDep) -> CountOut:
    from salesops.alerts.store import count_active

    return CountOut(active=count_active(engine, scope))


@router.post(
    "/{alert_id}/acknowledge",
    dependencies=[Require(P.ACK_ALERTS)],
    responses=responses(404),
    summary="Acknowledge an alert",
)
def acknowledge(alert_id: RowId, engine: EngineDep, scope: ScopeDep, actor: ActorDep) -> CountOut:
    from salesops.alerts.store import NotFound, count_active
    from salesops.alerts.store import acknowledge as ack

    try:
        ack(engine, alert_id, scope, actor)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return CountOut(active=count_active(engine, scope))


@router.post(
    "/{alert_id}/snooze",
    dependencies=[Require(P.ACK_ALERTS)],
    responses=responses(404),
    summary="Snooze an alert for some hours",
)
def snooze(
    alert_id: RowId, body: SnoozeIn, engine: EngineDep, scope: ScopeDep, actor: ActorDep
) -> CountOut:
    from salesops.alerts.store import NotFound, count_active
    from salesops.alerts.store import snooze as do_snooze

    try:
        do_snooze(engine, alert_id, body.hours, scope, actor)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return CountOut(active=count_active(engine, scope))


@router.get("/rules", dependencies=[Require(P.VIEW_BOARD)], summary="Alert rules, in words")
def rules(engine: EngineDep) -> RulesOut:
    from salesops.alerts.store import list_rules

    return RulesOut(
        rules=[
            {**r.spec.model_dump(exclude_defaults=True), "words": r.words}
            for r in list_rules(engine)
        ]
    )


@router.post(
    "/rules",
    dependencies=[Require(P.MANAGE_ALERTS)],
    responses=responses(400),
    summary="Create or update rules from YAML",
)
def import_rules(
    engine: EngineDep,
    actor: ActorDep,
    yaml_text: Annotated[str, Body(media_type="text/plain", max_length=200_000)],
) -> ImportOut:
    """The body is a YAML list of rules (or ``rules: [...]``); rules are matched by name."""
    from salesops.alerts.rules import RuleError, load_yaml
    from salesops.alerts.store import save_rules

    try:
        counts = save_rules(engine, load_yaml(yaml_text), actor)
    except RuleError as exc:
        raise HTTPException(400, str(exc)) from None
    return ImportOut(**counts)


@router.post(
    "/rules/preview",
    dependencies=[Require(P.VIEW_BOARD)],
    responses=responses(400),
    summary="How often a rule would have fired",
)
def preview_rule(
    engine: EngineDep,
    scope: ScopeDep,
    rule: Annotated[dict[str, Any], Body()],
    days: Annotated[int, Query(ge=7, le=365)] = 90,
) -> PreviewOut:
    """Evaluates the rule (not stored) on each of its scheduled days in the last ``days``, in
    the caller's scope; nothing is stored or sent."""
    from salesops.alerts.preview import PreviewError, preview

    try:
        return PreviewOut(**preview(engine, rule, scope, days=days))
    except PreviewError as exc:
        raise HTTPException(400, str(exc)) from None


@router.delete(
    "/rules/{name}",
    dependencies=[Require(P.MANAGE_ALERTS)],
    responses=responses(404),
    summary="Delete a rule (disabled instead when it has alerts)",
)
def delete_rule(name: str, engine: EngineDep, actor: ActorDep) -> RulesOut:
    from salesops.alerts.store import NotFound, list_rules
    from salesops.alerts.store import delete_rule as delete

    try:
        delete(engine, name, actor)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return RulesOut(rules=[{"name": r.spec.name} for r in list_rules(engine)])


@router.get("/channels", dependencies=[Require(P.MANAGE_ALERTS)], summary="Channels")
def channels(engine: EngineDep) -> ChannelsOut:
    """Each channel's kind and a hint of its target; never the URL or secret."""
    from salesops.notify.outbox import list_channels

    return ChannelsOut(channels=list_channels(engine))


@router.put(
    "/channels/{name}",
    dependencies=[Require(P.MANAGE_ALERTS)],
    responses=responses(400),
    summary="Create or replace a channel",
)
def put_channel(name: str, body: ChannelIn, engine: EngineDep, actor: ActorDep) -> ChannelsOut:
    from salesops.notify.channels import ChannelError
    from salesops.notify.outbox import list_channels, save_channel

    if not 1 <= len(name) <= 100:
        raise HTTPException(400, "a channel name has 1-100 characters")
    password = body.settings.pop("password", None) if body.kind == "email" else None
    try:
        save_channel(
            engine,
            name,
            body.kind,
            target=password if body.kind == "email" else body.url,
            secret=body.secret,
            settings=body.settings,
            actor=actor,
        )
    except ChannelError as exc:
        raise HTTPException(400, str(exc)) from None
    return ChannelsOut(channels=list_channels(engine))


@router.get("/deliveries", dependencies=[Require(P.MANAGE_ALERTS)], summary="Delivery log")
def deliveries(engine: EngineDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> LogOut:
    """One row per attempt: channel, status, response code, time."""
    from salesops.notify.outbox import delivery_log

    return LogOut(log=delivery_log(engine, limit))


class ResendOut(BaseModel):
    queued: list[int] = Field(description="delivery ids queued to be sent again")


@router.post(
    "/deliveries/{delivery_id}/resend",
    dependencies=[Require(P.MANAGE_ALERTS)],
    summary="Send an unconfirmed or failed message again",
    responses=responses(400, 404),
)
def resend_delivery(delivery_id: RowId, engine: EngineDep, actor: ActorDep) -> ResendOut:
    """An ``unconfirmed`` message (its sender stopped mid-send; it may have gone out) or a
    ``failed`` one is queued again with fresh tries; the next delivery round sends it."""
    from salesops.notify.outbox import ResendError, resend

    try:
        return ResendOut(queued=resend(engine, [delivery_id], actor))
    except ResendError as exc:
        status = 404 if str(exc).startswith("no delivery") else 400
        raise HTTPException(status, str(exc)) from None


@router.post("/run", dependencies=[Require(P.MANAGE_ALERTS)], summary="Run the due rules now")
def run_now(engine: EngineDep, actor: ActorDep) -> RunOut:
    from salesops.alerts.service import run
    from salesops.auth.audit import record_now

    report = run(engine)
    record_now(engine, actor, "alert.run", None, {"evaluated": len(report.evaluated)})
    return RunOut(report=report.to_json())
