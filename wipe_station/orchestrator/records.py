"""The persistence side of a wipe: devices, jobs, evidence, outcomes.

Each function is one transaction, and each state change goes through the lifecycle (which audits
it), so what the UI shows has always been committed first and a crash loses nothing.

The engine writes one transaction per pipeline step (`identified`, `advance`, `finish_job` with
the step's evidence): a commit per row or per kind of record cost most of the station's CPU per
phone with 64 phones (profiled with py-spy, issue 19), and SQLite serialises every commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from drivers.contract import Before, DeviceFacts, EvidenceItem, Outcome, ScreenSeen
from drivers.pipeline import PipelineResult
from wipe_station import batches, intake
from wipe_station.audit import log as audit
from wipe_station.certify import held_for_supervisor
from wipe_station.context import StationContext
from wipe_station.db import lengths
from wipe_station.db.lengths import clip
from wipe_station.db.models import Customer, Device, Evidence, WipeJob
from wipe_station.errors import StationError
from wipe_station.lifecycle import IN_FLIGHT, DeviceState, check, newest_in_state, transition
from wipe_station.timeutil import utcnow

S = DeviceState
# A phone plugged in again after these may start over; others keep their state.
RESTARTABLE = {S.RECEIVED, S.FAILED, S.INTERRUPTED, S.BLOCKED}


def device_detected(
    ctx: StationContext,
    actor: audit.Actor,
    facts: DeviceFacts,
    usb_port: str | None,
    *,
    emulated: bool,
) -> Device:
    """Find or create the device for a phone that was just identified."""
    with ctx.session() as s:
        return _detected(s, ctx, actor, facts, usb_port, emulated=emulated)


def _detected(
    s: Session,
    ctx: StationContext,
    actor: audit.Actor,
    facts: DeviceFacts,
    usb_port: str | None,
    *,
    emulated: bool,
    judge_interrupted: bool = False,
) -> Device:
    dev = s.exec(
        select(Device)
        .where(Device.platform == facts.platform.value, Device.serial == facts.serial)
        .where(Device.state != S.HANDED_OVER.value)
        .order_by(col(Device.id).desc())
    ).first()
    if dev is not None and dev.emulated != emulated:
        raise StationError(f"{facts.serial}: a lab phone and a real phone share this serial")
    if dev is None:
        dev = Device(
            station_id=ctx.station_id,
            platform=facts.platform.value,
            serial=facts.serial,
            state=S.DETECTED.value,
            emulated=emulated,
        )
        created = True
    else:
        created = False
    # A phone describes itself as it likes: descriptions are clipped to the documented
    # field lengths (devices.model is 100), identifiers that are too long are refused by
    # the records (db/lengths.py) and fail only this phone.
    dev.manufacturer, dev.model, dev.model_code = (
        clip(Device, "manufacturer", facts.manufacturer) or "",
        clip(Device, "model", facts.model) or "",
        clip(Device, "model_code", facts.model_code) or "",
    )
    dev.os_version, dev.storage_bytes, dev.usb_port = (
        clip(Device, "os_version", facts.os_version) or "",
        facts.storage_bytes,
        clip(Device, "usb_port", usb_port),
    )
    dev.udid = facts.udid or dev.udid
    if facts.imeis:
        dev.imei = facts.imeis[0]
        dev.imei2 = facts.imeis[1] if len(facts.imeis) > 1 else None
    s.add(dev)
    s.flush()
    if created:
        audit.append(
            s,
            ctx.identity,
            actor,
            "device.detected",
            {"platform": dev.platform, "serial": dev.serial, "port": usb_port},
            device_id=dev.id,
        )
    elif S(dev.state) in RESTARTABLE and not (judge_interrupted and dev.state == S.INTERRUPTED):
        transition(s, ctx.identity, actor, dev, S.DETECTED, reason="plugged in again")
    intake.match_device(s, ctx, actor, dev)
    _flag_if_left_before(ctx, s, actor, dev)
    return dev


def _flag_if_left_before(ctx: StationContext, s: Session, actor: audit.Actor, dev: Device) -> None:
    """A phone that was handed over once and shows up again is set aside, saying where it went,
    until an admin releases it with a reason: it is not erased or batched again by accident."""
    if S(dev.state) not in (S.DETECTED, S.BLOCKED) or batches.released_to_leave_again(s, dev):
        return
    before = batches.handed_over_before(s, dev)
    if before is None:
        return
    code, when = before
    transition(
        s,
        ctx.identity,
        actor,
        dev,
        S.QUARANTINED,
        reason=f"handed over in {code} on {when.date().isoformat()}; plugged in again",
    )


def release_left_before(
    ctx: StationContext, actor: audit.Actor, device_id: int, reason: str
) -> None:
    """An admin lets a phone that was handed over once be erased and batched again, saying why
    (the reason is typed text: the audit log keeps a commitment)."""
    reason = reason.strip()
    if actor.role != "admin":
        raise StationError("only an admin releases a phone that was handed over before")
    if not reason:
        raise StationError("say why this phone may leave the depot again")
    with ctx.session() as s:
        dev = s.get(Device, device_id)
        assert dev is not None
        if batches.handed_over_before(s, dev) is None:
            raise StationError(f"{dev.serial} was never handed over before")
        audit.append(
            s,
            ctx.identity,
            actor,
            batches.REPEAT_RELEASED,
            {"serial": dev.serial},
            device_id=dev.id,
            personal={"reason": reason},
            owner=dev.customer_id,
        )
        if dev.state == S.QUARANTINED.value:
            transition(s, ctx.identity, actor, dev, S.DETECTED, reason="released by an admin")


def start_job(ctx: StationContext, actor: audit.Actor, device_id: int) -> int:
    with ctx.session() as s:
        return _start_job(s, ctx, actor, device_id)


def _start_job(s: Session, ctx: StationContext, actor: audit.Actor, device_id: int) -> int:
    job = WipeJob(device_id=device_id, station_id=ctx.station_id, operator_id=actor.operator_id)
    s.add(job)
    s.flush()
    assert job.id is not None
    return job.id


@dataclass(frozen=True)
class Identified:
    """What `identified` committed: the device, its customer's name, and the new job (None when
    the device is settled: certified, batched, handed over or quarantined)."""

    device: Device
    customer: str | None
    job_id: int | None
    # A phone a stopped station left interrupted: what the records kept of that erasure. The
    # device stays INTERRUPTED until the phone is judged (reset, not reset, or unsure).
    before: Before | None = None


def identified(
    ctx: StationContext,
    actor: audit.Actor,
    facts: DeviceFacts,
    usb_port: str | None,
    evidence: Sequence[EvidenceItem],
    *,
    emulated: bool,
) -> Identified:
    """`device_detected`, then (for a device that may be erased) `start_job` and the identify
    step's evidence, in one transaction: the job and its evidence exist together or not at all."""
    for attempt in (1, 2):
        try:
            with ctx.session() as s:
                dev = _detected(
                    s, ctx, actor, facts, usb_port, emulated=emulated, judge_interrupted=True
                )
                customer = None
                if dev.customer_id is not None:
                    row = s.get(Customer, dev.customer_id)
                    customer = row.name if row is not None else None
                before = _before(s, dev) if dev.state == S.INTERRUPTED.value else None
                if dev.state != S.DETECTED.value and before is None:
                    return Identified(dev, customer, None)
                job_id = _start_job(s, ctx, actor, dev.id or 0)
                _insert_evidence(s, job_id, evidence)
                return Identified(dev, customer, job_id, before)
        except IntegrityError:
            # Another station made this phone's record at the same moment (the database allows
            # one live record per phone): the second time the record is found, not made.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _before(s: Session, dev: Device) -> Before:
    """What the evidence of the device's last erasure says about the phone before it: the route
    chosen, Android's boot count and whether the station's ADB key worked. The salted
    android_id is not here: its salt never leaves the driver that made it."""
    # The last interrupted job that got as far as the checks: a later one that only judged the
    # returned phone (and left it waiting for a decision) knows nothing of the phone before.
    jobs = s.exec(
        select(WipeJob)
        .where(WipeJob.device_id == dev.id, WipeJob.outcome == Outcome.INTERRUPTED.value)
        .order_by(col(WipeJob.id).desc())
    ).all()
    found: dict[tuple[str, str], str] = {}
    route = ""
    for job in jobs:
        rows = s.exec(select(Evidence).where(Evidence.job_id == job.id)).all()
        if any(r.step in ("blockers", "erase") for r in rows):
            found = {(r.step, r.check): r.response for r in rows}
            route = job.route or ""
            break
    count = found.get(("blockers", "boot_count"), "").strip()
    return Before(
        route=found.get(("erase", "route"), route),
        boot_count=int(count) if count.isdigit() else None,
        had_adb=("identify", "serial") in found,
    )


def record_decision(
    ctx: StationContext, by: audit.Actor, job_id: int, device_id: int, question: str
) -> None:
    """A technician decided to erase again a phone the station could not judge: the decision
    is the job's evidence and an audit event under their name, committed before it acts."""
    with ctx.session() as s:
        dev = s.get(Device, device_id)
        assert dev is not None
        _insert_evidence(
            s,
            job_id,
            [
                EvidenceItem(
                    "verify", "technician_decision", question, f"erase again ({by.name})", True
                )
            ],
        )
        audit.append(
            s,
            ctx.identity,
            by,
            "device.decision",
            {"job": job_id, "decision": "erase_again", "question": question[:300]},
            device_id=device_id,
            owner=dev.customer_id,
        )


def erase_again(ctx: StationContext, by: audit.Actor, serial: str) -> int:
    """The CLI's way on for an interrupted phone left waiting for a decision: it is erased
    again the next time it is plugged in (DETECTED, the technician named)."""
    with ctx.session() as s:
        dev = newest_in_state(s, serial, S.INTERRUPTED)
        if dev is None or dev.id is None:
            raise StationError(f"{serial}: no interrupted phone with this serial")
        transition(
            s,
            ctx.identity,
            by,
            dev,
            S.DETECTED,
            reason=f"decided by {by.name}: erase it again when plugged in",
            extra={"decision": "erase_again"},
        )
        return dev.id


def add_evidence(ctx: StationContext, job_id: int, items: Iterable[EvidenceItem]) -> None:
    items = list(items)
    if not items:
        return
    with ctx.session() as s:
        _insert_evidence(s, job_id, items)


def _insert_evidence(s: Session, job_id: int, items: Sequence[EvidenceItem]) -> None:
    """Append ``items`` to the job's evidence, numbered after what it holds: one multi-row
    Core insert (an ORM object and flush bookkeeping per row cost more than the writes), with
    the field-length check every ORM flush makes (db/lengths.py)."""
    if not items:
        return
    last = s.exec(select(func.max(Evidence.seq)).where(Evidence.job_id == job_id)).one() or 0
    rows: list[dict[str, Any]] = [
        {
            "job_id": job_id,
            "seq": i,
            "step": item.step,
            "check": item.check,
            "request": item.request,
            "response": item.response,
            "ok": item.ok,
            "at": item.at,
        }
        for i, item in enumerate(items, start=last + 1)
    ]
    for row in rows:
        for key, limit in _EVIDENCE_LIMITS:
            # The check (and message) the ORM's before_flush hook gives an Evidence object
            # (lengths.check), for the columns that have a length.
            value = row[key]
            if "\x00" in value:
                raise lengths.TooLong(f"evidence.{key} may not hold a NUL character")
            if len(value) > limit:
                raise lengths.TooLong(
                    f"evidence.{key} is at most {limit} characters (this value has {len(value)})"
                )
    s.execute(insert(Evidence.__table__), rows)  # type: ignore[attr-defined]


_EVIDENCE_LIMITS: list[tuple[str, int]] = [
    (c.key, n)
    for c in Evidence.__table__.columns  # type: ignore[attr-defined]
    if (n := lengths.max_length(Evidence, c.key)) is not None
]


def set_state(
    ctx: StationContext,
    actor: audit.Actor,
    device_id: int,
    state: DeviceState,
    reason: str | None = None,
) -> None:
    with ctx.session() as s:
        _set_state(s, ctx, actor, device_id, state, reason)


def _set_state(
    s: Session,
    ctx: StationContext,
    actor: audit.Actor,
    device_id: int,
    state: DeviceState,
    reason: str | None = None,
) -> None:
    dev = s.get(Device, device_id)
    assert dev is not None
    if dev.state != state.value:
        transition(s, ctx.identity, actor, dev, state, reason=reason)


def advance(
    ctx: StationContext,
    actor: audit.Actor,
    device_id: int,
    state: DeviceState,
    job_id: int,
    evidence: Sequence[EvidenceItem],
) -> None:
    """The evidence of the step just done and the move to the next state, in one transaction,
    committed before the driver starts that next step."""
    with ctx.session() as s:
        _insert_evidence(s, job_id, evidence)
        _set_state(s, ctx, actor, device_id, state)


def can_move(ctx: StationContext, device_id: int, state: DeviceState) -> bool:
    with ctx.session() as s:
        dev = s.get(Device, device_id)
        assert dev is not None
        try:
            check(dev.state, state)
        except StationError:
            return False
        return True


@dataclass(frozen=True)
class Finished:
    """Where a job ended, and the certificate issued with it (None: not verified, held for a
    supervisor, or not certifiable: ``problem`` says why)."""

    state: DeviceState
    certificate: str | None = None
    problem: str | None = None


def finish_and_certify(
    ctx: StationContext,
    actor: audit.Actor,
    job_id: int,
    device_id: int,
    result: PipelineResult,
    evidence: Sequence[EvidenceItem] = (),
    *,
    certify: bool = True,
) -> Finished:
    """`finish_job` and, for a verified erasure, its certificate, in one transaction: a stop,
    an outage or a full disk can no longer leave a phone verified without its certificate. The
    certificate is a savepoint: if it cannot be issued (say, the number ledger cannot be
    written), the verification still commits and start-up issues it later (`startup.recover`)."""
    from wipe_station.certify import issue_in

    with ctx.session() as s:
        state = _finish(s, ctx, actor, job_id, device_id, result, evidence)
        if state is not S.VERIFIED or not certify:
            return Finished(state)
        try:
            with s.begin_nested():
                cert = issue_in(ctx, s, job_id, actor)
        except StationError as exc:
            return Finished(state, problem=str(exc))
        if cert is None:
            return Finished(state)
        return Finished(S.CERTIFIED, certificate=cert.number)


def finish_job(
    ctx: StationContext,
    actor: audit.Actor,
    job_id: int,
    device_id: int,
    result: PipelineResult,
    evidence: Sequence[EvidenceItem] = (),
) -> DeviceState:
    """Close the job and move the device to where the pipeline ended; ``evidence`` (the last
    step's) is written in the same transaction, so a verified job never lacks its evidence."""
    with ctx.session() as s:
        return _finish(s, ctx, actor, job_id, device_id, result, evidence)


def _finish(
    s: Session,
    ctx: StationContext,
    actor: audit.Actor,
    job_id: int,
    device_id: int,
    result: PipelineResult,
    evidence: Sequence[EvidenceItem],
) -> DeviceState:
    _insert_evidence(s, job_id, evidence)
    job, dev = s.get(WipeJob, job_id), s.get(Device, device_id)
    assert job is not None and dev is not None
    job.ended_at = utcnow()
    job.method = result.method[:100]
    job.erasure_class = result.erasure_class
    job.reusable = result.reusable
    job.reason = result.reason[:500]
    job.route = result.route[:32] or None
    job.verification_level = result.level.value if result.level else None
    job.activation_lock = result.activation_lock.value if result.activation_lock else None
    job.activation_lock_reason = result.activation_lock_reason[:300] or None
    if result.outcome is None:
        job.outcome = "blocked" if result.blocked else "stopped"
        target = S.BLOCKED if result.blocked else S.DETECTED
    else:
        job.outcome = result.outcome.value
        target = {
            Outcome.VERIFIED: S.VERIFIED,
            Outcome.FAILED: S.FAILED,
            Outcome.INTERRUPTED: S.INTERRUPTED,
        }[result.outcome]
        if result.quarantine:
            # Erased, but locked to its owner (FRP "Verify your account"): it goes back to
            # the customer, and only a person releases it.
            target = S.QUARANTINED
        # A phone erased but not reusable (came back activation-locked) stays VERIFIED: it
        # is certified as erased and goes to recycling as "parts only".
    s.add(job)
    if dev.state != target.value:
        transition(
            s,
            ctx.identity,
            actor,
            dev,
            target,
            reason=result.reason[:300] or None,
            extra={"job": job_id},
        )
    return target


def certify_verified(ctx: StationContext, device_id: int) -> str | None:
    """The certificate of a verified phone's erasure that has none yet, issued now under the
    name of who ran it; None when it is held for a supervisor (or there is nothing to issue)."""
    from wipe_station.certify import issue_in
    from wipe_station.db.models import Operator
    from wipe_station.operators import actor_of

    with ctx.session() as s:
        dev = s.get(Device, device_id)
        if dev is None or dev.state != S.VERIFIED.value:
            return None
        job = s.exec(
            select(WipeJob)
            .where(WipeJob.device_id == device_id, WipeJob.outcome == "verified")
            .order_by(col(WipeJob.id).desc())
        ).first()
        if job is None or job.id is None:
            return None
        op = s.get(Operator, job.operator_id) if job.operator_id is not None else None
        cert = issue_in(ctx, s, job.id, actor_of(op) if op is not None else audit.SYSTEM_ACTOR)
        return cert.number if cert is not None else None


def interrupt_in_flight(ctx: StationContext, actor: audit.Actor) -> list[int]:
    """After a crash, a stop or power loss: every erasure this station had under way becomes
    INTERRUPTED, its job closed. Another station's phones on a shared PostgreSQL are its own."""
    open_job = select(WipeJob.id).where(
        WipeJob.device_id == Device.id, col(WipeJob.ended_at).is_(None)
    )
    with ctx.session() as s:
        devices = s.exec(
            select(Device)
            .where(col(Device.state).in_([st.value for st in IN_FLIGHT]))
            .where(
                open_job.where(WipeJob.station_id == ctx.station_id).exists()
                | ((Device.station_id == ctx.station_id) & ~open_job.exists())
            )
        ).all()
        for dev in devices:
            transition(
                s,
                ctx.identity,
                actor,
                dev,
                S.INTERRUPTED,
                reason="the station stopped during the erasure",
            )
            for job in s.exec(
                select(WipeJob).where(WipeJob.device_id == dev.id, col(WipeJob.ended_at).is_(None))
            ).all():
                job.ended_at, job.outcome = utcnow(), Outcome.INTERRUPTED.value
                job.reason = "the station stopped during the erasure"
                s.add(job)
        return [d.id for d in devices if d.id is not None]


def set_imei(ctx: StationContext, actor: audit.Actor, device_id: int, raw: str) -> str:
    """Store an IMEI the technician scanned or typed (dial *#06#), checked with its Luhn digit."""
    from stdnum import imei as imei_number
    from stdnum.exceptions import ValidationError

    try:
        value = str(imei_number.validate(raw))
    except ValidationError as exc:
        raise StationError(f"{raw.strip()!r} is not a valid IMEI ({exc})") from exc
    if len(value) != 15:
        raise StationError(f"{value!r} is not a 15-digit IMEI")
    with ctx.session() as s:
        dev = s.get(Device, device_id)
        assert dev is not None
        if S(dev.state) not in (S.DETECTED, S.BLOCKED, S.FAILED, S.INTERRUPTED):
            raise StationError(f"the IMEI of a {dev.state} phone cannot be changed")
        if dev.imei and dev.imei != value and not dev.imei2:
            dev.imei2 = value  # dual-SIM phones have two
        else:
            dev.imei = value
        s.add(dev)
        audit.append(
            s, ctx.identity, actor, "device.imei_entered", {"imei": value}, device_id=dev.id
        )
        intake.match_device(s, ctx, actor, dev)
    return value


def record_attestation(
    ctx: StationContext,
    actor: audit.Actor,
    job_id: int,
    device_id: int,
    question: str,
    seen: ScreenSeen,
) -> None:
    """What a technician said the phone's screen shows, under their name, before the driver
    acts on it: the job names the attester and the evidence and the audit log hold the answer."""
    with ctx.session() as s:
        job = s.get(WipeJob, job_id)
        assert job is not None
        job.attested_by = actor.operator_id
        s.add(job)
        last = s.exec(select(func.max(Evidence.seq)).where(Evidence.job_id == job_id)).one() or 0
        s.add(
            Evidence(
                job_id=job_id,
                seq=last + 1,
                step="verify",
                check="technician_attestation",
                request=question,
                response=f"{seen.value} (confirmed by {actor.name})",
                ok=seen is ScreenSeen.WELCOME,
                at=utcnow(),
            )
        )
        audit.append(
            s,
            ctx.identity,
            actor,
            "erasure.attested",
            {"job": job_id, "screen": seen.value},
            device_id=device_id,
        )


def held(ctx: StationContext, job_id: int) -> bool:
    """True when this verified job waits for a supervisor before it may be certified."""
    with ctx.session() as s:
        job = s.get(WipeJob, job_id)
        return job is not None and held_for_supervisor(s, job)


def abandon_job(
    ctx: StationContext, actor: audit.Actor, job_id: int | None, device_id: int, reason: str
) -> DeviceState:
    """The station itself failed during a phone's job: close the job and move the phone to
    INTERRUPTED when an erase was under way (it must be re-verified), else FAILED."""
    with ctx.session() as s:
        dev = s.get(Device, device_id)
        assert dev is not None
        job = s.get(WipeJob, job_id) if job_id is not None else None
        target = S.INTERRUPTED if S(dev.state) in IN_FLIGHT else S.FAILED
        if job is not None and job.ended_at is None:
            job.ended_at, job.outcome, job.reason = utcnow(), target.value, reason[:500]
            s.add(job)
        try:
            check(dev.state, target)
        except StationError:
            return S(dev.state)  # e.g. already certified: nothing to undo
        transition(s, ctx.identity, actor, dev, target, reason=reason[:300])
        return target


def customer_name(ctx: StationContext, customer_id: int) -> str | None:
    with ctx.session() as s:
        customer = s.get(Customer, customer_id)
        return customer.name if customer is not None else None


def left_before(ctx: StationContext, device_id: int) -> str | None:
    """ "RB-… on 2026-…" when another record of this phone was handed over already."""
    with ctx.session() as s:
        dev = s.get(Device, device_id)
        assert dev is not None
        if batches.released_to_leave_again(s, dev):
            return None
        found = batches.handed_over_before(s, dev)
        return None if found is None else f"{found[0]} on {found[1].date().isoformat()}"
