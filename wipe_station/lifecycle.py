"""A device's life at the depot, as an explicit state machine.

Every change goes through ``transition``, which refuses illegal moves before touching anything and
writes the audit event in the same transaction as the new state.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from wipe_station.audit import log as audit
from wipe_station.db.models import Device
from wipe_station.errors import IllegalTransition
from wipe_station.identity import StationIdentity
from wipe_station.timeutil import utcnow


class DeviceState(StrEnum):
    RECEIVED = "received"  # announced by intake, not yet plugged in
    DETECTED = "detected"  # plugged in and identified
    BLOCKED = "blocked"  # something must be fixed before a wipe (FRP, Find My, SIM, …)
    WIPING = "wiping"
    REBOOTING = "rebooting"  # reset issued; waiting for the phone to come back
    VERIFYING = "verifying"
    VERIFIED = "verified"
    CERTIFIED = "certified"
    IN_BATCH = "in_batch"  # in a recycling batch
    HANDED_OVER = "handed_over"  # left the depot: final
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # unplugged or station stopped mid-erase: re-verify or retry
    QUARANTINED = "quarantined"  # set aside by a person; only a person releases it


S = DeviceState
TRANSITIONS: dict[DeviceState, frozenset[DeviceState]] = {
    S.RECEIVED: frozenset({S.DETECTED, S.QUARANTINED}),
    S.DETECTED: frozenset({S.DETECTED, S.BLOCKED, S.WIPING, S.FAILED, S.QUARANTINED}),
    S.BLOCKED: frozenset({S.DETECTED, S.BLOCKED, S.QUARANTINED}),
    S.WIPING: frozenset({S.REBOOTING, S.FAILED, S.INTERRUPTED}),
    S.REBOOTING: frozenset({S.VERIFYING, S.FAILED, S.INTERRUPTED}),
    # Quarantine from verifying: erased, but the technician saw it locked to its owner (FRP).
    S.VERIFYING: frozenset({S.VERIFIED, S.FAILED, S.INTERRUPTED, S.QUARANTINED}),
    S.VERIFIED: frozenset({S.CERTIFIED, S.QUARANTINED}),
    S.CERTIFIED: frozenset({S.IN_BATCH, S.QUARANTINED}),
    S.IN_BATCH: frozenset({S.CERTIFIED, S.HANDED_OVER}),
    S.HANDED_OVER: frozenset(),
    S.FAILED: frozenset({S.DETECTED, S.QUARANTINED}),
    S.INTERRUPTED: frozenset({S.DETECTED, S.VERIFYING, S.FAILED, S.QUARANTINED}),
    S.QUARANTINED: frozenset({S.DETECTED}),
}
# An erasure is under way in these states: after a crash they become INTERRUPTED.
IN_FLIGHT = frozenset({S.WIPING, S.REBOOTING, S.VERIFYING})


def check(src: DeviceState | str, dst: DeviceState | str) -> None:
    try:
        src_s, dst_s = DeviceState(src), DeviceState(dst)
    except ValueError as exc:
        raise IllegalTransition(f"unknown device state: {exc}") from exc
    if dst_s not in TRANSITIONS[src_s]:
        allowed = ", ".join(sorted(TRANSITIONS[src_s])) or "nothing (final)"
        raise IllegalTransition(
            f"a device that is {src_s.value} cannot become {dst_s.value} (allowed: {allowed})"
        )


def newest_in_state(session: Session, serial: str, state: DeviceState) -> Device | None:
    """The newest record of the phone ``serial`` that is in ``state`` (a phone that came back
    has a record per visit)."""
    return session.exec(
        select(Device)
        .where(Device.serial == serial, Device.state == state.value)
        .order_by(col(Device.id).desc())
    ).first()


def transition(
    session: Session,
    identity: StationIdentity,
    actor: audit.Actor,
    device: Device,
    dst: DeviceState,
    *,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    check(device.state, dst)
    src = device.state
    device.state = dst.value
    device.state_since = utcnow()
    if dst is S.QUARANTINED:
        device.quarantine_reason = reason
    session.add(device)
    session.flush()
    audit.append_pending(session, identity, actor, _state_event(device, src, dst, reason, extra))


def transition_many(
    session: Session,
    identity: StationIdentity,
    actor: audit.Actor,
    moves: list[tuple[Device, dict[str, Any]]],
    dst: DeviceState,
) -> None:
    """`transition` for many phones at once (each with its ``extra``): one flush and one chain
    append for all of them, the same checks and the same events."""
    for device, _ in moves:
        check(device.state, dst)
    now = utcnow()
    events = []
    for device, extra in moves:
        src = device.state
        device.state, device.state_since = dst.value, now
        session.add(device)
        events.append(_state_event(device, src, dst, None, extra))
    session.flush()
    audit.append_many(session, identity, actor, events)


def _state_event(
    device: Device, src: str, dst: DeviceState, reason: str | None, extra: dict[str, Any] | None
) -> audit.Pending:
    payload: dict[str, Any] = {"from": src, "to": dst.value}
    personal: dict[str, str] | None = None
    if reason and dst is S.QUARANTINED:
        # A person typed this; it may name someone, so the chain keeps only a commitment.
        personal = {"reason": reason}
    elif reason:
        payload["reason"] = reason
    if extra:
        payload.update(extra)
    return audit.Pending(
        "device.state", payload, device_id=device.id, personal=personal, owner=device.customer_id
    )
