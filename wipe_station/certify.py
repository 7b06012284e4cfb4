"""Issuing a certificate of erasure for a verified wipe job.

Number, audit event, signature, record and the device's move to CERTIFIED happen in one
transaction: a certificate exists with all of them or not at all, and its number is never lost.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session, col, select

from certificates.payload import (
    AuditAnchor,
    BlockerResult,
    CertificatePayload,
    Customer,
    Destination,
    MediaInfo,
    MobileFacts,
    Person,
    Sanitization,
    Validation,
)
from certificates.signing import SignedCertificate, sign
from drivers.contract import VerificationLevel
from wipe_station import __version__, settings
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.db.models import BatchItem, Certificate, Device, Operator, Setting, WipeJob
from wipe_station.db.models import Customer as CustomerRow
from wipe_station.errors import StationError
from wipe_station.evidence import evidence_digest, job_evidence
from wipe_station.lifecycle import DeviceState, newest_in_state, transition
from wipe_station.numbering import allocate
from wipe_station.timeutil import iso, utcnow

ROLE_TITLES = {
    "technician": "Depot technician / Depottekniker",
    "admin": "Station administrator / Administrator",
    "logistics": "Logistics manager / Logistikkansvarlig",
    "auditor": "Auditor / Revisor",
}
METHOD_DETAILS = {
    "android": (
        "Factory reset: Android destroys the file-based encryption keys of user storage; the "
        "phone restarts into the setup wizard"
    ),
    "ios": (
        "EraseDevice: iOS discards the effaceable storage keys that protect all user data; the "
        "phone restarts unactivated"
    ),
}


def signed_from_record(
    cert: Certificate, key: Ed25519PrivateKey | None = None
) -> SignedCertificate:
    """The stored certificate; with the station's ``key``, also its QR signature (version 2,
    deterministic), so the printed QR code can be checked from paper."""
    signed = SignedCertificate(
        CertificatePayload.from_json(cert.payload_json), base64.b64decode(cert.signature)
    )
    return signed.with_qr_signature(key) if key is not None else signed


def issue_certificate(ctx: StationContext, job_id: int, actor: audit.Actor) -> Certificate:
    with ctx.session() as session:
        cert = _issue_for_job(ctx, session, job_id, actor, held_is_error=True)
        assert cert is not None
        return cert


def issue_unless_held(ctx: StationContext, job_id: int, actor: audit.Actor) -> Certificate | None:
    """`issue_certificate`, but None for an erasure held for a supervisor: the engine's last
    step asks and issues in one transaction instead of two."""
    with ctx.session() as session:
        return _issue_for_job(ctx, session, job_id, actor, held_is_error=False)


def issue_in(
    ctx: StationContext, session: Session, job_id: int, actor: audit.Actor
) -> Certificate | None:
    """`issue_unless_held` in the caller's transaction (the verification's own)."""
    return _issue_for_job(ctx, session, job_id, actor, held_is_error=False)


def _issue_for_job(
    ctx: StationContext, session: Session, job_id: int, actor: audit.Actor, *, held_is_error: bool
) -> Certificate | None:
    existing = session.exec(select(Certificate).where(Certificate.job_id == job_id)).first()
    if existing is not None:
        return existing
    job = session.get(WipeJob, job_id)
    if job is None:
        raise StationError(f"no wipe job {job_id}")
    device = session.get(Device, job.device_id)
    assert device is not None
    if job.outcome != "verified" or device.state != DeviceState.VERIFIED:
        raise StationError(
            f"{device.serial}: only a verified erasure gets a certificate "
            f"(job outcome {job.outcome or 'open'}, device {device.state})"
        )
    if held_for_supervisor(session, job):
        if not held_is_error:
            return None
        raise StationError(
            f"{device.serial}: an attested erasure waits for a supervisor's release "
            "(setting erasure.attested = hold): wipe-station certificate release "
            f"{device.serial}"
        )
    return _issue(ctx, session, job, device, actor)


def held_for_supervisor(session: Session, job: WipeJob) -> bool:
    """An attested erasure is certified only after a supervisor's release when the depot's
    setting says so; a read-back erasure never waits."""
    return (
        job.verification_level == VerificationLevel.ATTESTED
        and job.released_by is None
        and settings.get(session, "erasure.attested") == "hold"
    )


def release_attested(ctx: StationContext, serial: str, actor: audit.Actor) -> Certificate:
    """A supervisor releases a held attested erasure; the certificate is issued at once."""
    with ctx.session() as session:
        device = newest_in_state(session, serial, DeviceState.VERIFIED)
        if device is None:
            raise StationError(f"{serial}: no verified phone with this serial waits for release")
        job = session.exec(
            select(WipeJob)
            .where(WipeJob.device_id == device.id, WipeJob.outcome == "verified")
            .order_by(col(WipeJob.id).desc())
        ).first()
        if job is not None and not held_for_supervisor(session, job):
            if session.exec(select(Certificate.id).where(Certificate.job_id == job.id)).first():
                raise StationError(f"{serial}: its erasure is not held for a supervisor")
            # Verified, never certified (the station stopped between the two, before issue
            # 25): the way forward from the CLI without waiting for a restart.
            return _issue(ctx, session, job, device, actor)
        if job is None:
            raise StationError(f"{serial}: its erasure is not held for a supervisor")
        if job.attested_by is not None and job.attested_by == actor.operator_id:
            raise StationError(
                f"{serial}: the technician who confirmed the screen cannot also release it"
            )
        job.released_by = actor.operator_id
        session.add(job)
        audit.append(
            session,
            ctx.identity,
            actor,
            "erasure.released",
            {"job": job.id, "level": job.verification_level},
            device_id=device.id,
        )
        return _issue(ctx, session, job, device, actor)


def _issue(
    ctx: StationContext, session: Session, job: WipeJob, device: Device, actor: audit.Actor
) -> Certificate:
    now = utcnow()
    seq, number = allocate(session, ctx.station_id, now.year, ctx.ledger)
    evidence = job_evidence(session, job.id or 0)
    digest = evidence_digest(evidence)
    event = audit.append(
        session,
        ctx.identity,
        actor,
        "certificate.issued",
        {"number": number, "job": job.id, "evidence_digest": digest},
        device_id=device.id,
    )
    customer = session.get(CustomerRow, device.customer_id) if device.customer_id else None
    setting = _settings_of(session)
    org = setting("depot.organization")
    person = Person(
        name=actor.name,
        title=ROLE_TITLES.get(actor.role or "", actor.role or ""),
        organization=org,
        location=setting("depot.location"),
        phone=setting("depot.phone"),
    )
    verify_checks = sorted({e.check for e in evidence if e.step == "verify"})
    attester = session.get(Operator, job.attested_by) if job.attested_by else None
    payload = CertificatePayload(
        number=number,
        issued_at=iso(now),
        station_id=ctx.station_id,
        emulated=device.emulated,
        performed_by=person,
        media=MediaInfo(
            manufacturer=device.manufacturer,
            model=f"{device.model} ({device.model_code})" if device.model_code else device.model,
            serial_number=device.serial,
            property_number="",
            media_type="Mobile phone, internal flash storage",
            source=f"Customer return: {customer.name}" if customer else "Depot intake",
            classification=setting("media.classification"),
            data_backed_up="No (not by the depot)",
        ),
        sanitization=Sanitization(
            method_type="Purge" if job.erasure_class == "purge" else "Clear",
            method_used=job.method or "Factory reset",
            method_details=METHOD_DETAILS.get(device.platform, ""),
            tool="Wipe Station",
            tool_version=__version__,
            verification_method=_verification_method(job, verify_checks),
            post_classification="Unclassified (no user data)",
            notes="Emulated lab phone: not a real erasure" if device.emulated else "",
        ),
        destination=Destination(
            description=setting("destination.description"),
            facility=setting("destination.facility"),
        ),
        validation=Validation(
            validator=actor.name, title=person.title, organization=org, date=now.date().isoformat()
        ),
        mobile=MobileFacts(
            platform={"android": "Android", "ios": "iOS"}.get(device.platform, device.platform),
            os_version=device.os_version,
            imeis=tuple(i for i in (device.imei, device.imei2) if i),
            udid=device.udid or "",
            blockers=tuple(
                BlockerResult(code=e.check, message=e.response[:200], cleared=e.ok)
                for e in evidence
                if e.step == "blockers"
            ),
            evidence_digest=digest,
            reset_route=job.route or "",
            verification_level=job.verification_level or "",
            attested_by=attester.name if attester else "",
            activation_lock=job.activation_lock or "",
            activation_lock_reason=job.activation_lock_reason or "",
            reusable=job.reusable is not False,
        ),
        audit=AuditAnchor(station=ctx.station_id, seq=event.seq, event_hash=event.hash),
        customer=Customer(name=customer.name, org_number=customer.org_number) if customer else None,
        timezone=setting("depot.timezone"),
    )
    signed = sign(payload, ctx.identity.private_key)
    cert = Certificate(
        number=number,
        station_id=ctx.station_id,
        year=now.year,
        sequence=seq,
        device_id=device.id or 0,
        job_id=job.id,
        audit_event_id=event.id,
        issued_at=now,
        payload_json=payload.canonical().decode("utf-8"),
        signature=signed.signature_b64,
        digest=signed.digest,
        emulated=device.emulated,
    )
    session.add(cert)
    transition(
        session, ctx.identity, actor, device, DeviceState.CERTIFIED, extra={"number": number}
    )
    return cert


def _settings_of(session: Session) -> Callable[[str], str]:
    """`settings.get` for the many keys a certificate names, from one query: a query per key
    was a tenth of the station's database work per phone (issue 19). The same answer: the
    stored value, else the default, else ""."""
    stored = dict(session.exec(select(Setting.key, Setting.value)).all())
    return lambda key: stored[key] if key in stored else settings.DEFAULTS.get(key, "")


def current_certificate(session: Session, device_id: int) -> Certificate | None:
    """The device's certificate that nothing supersedes (the newest, if records were ever
    written before superseding existed)."""
    return session.exec(
        select(Certificate)
        .where(Certificate.device_id == device_id, col(Certificate.superseded_by_id).is_(None))
        .order_by(col(Certificate.issued_at).desc(), col(Certificate.id).desc())
    ).first()


def _signed_facts(session: Session, device: Device) -> dict[str, Any]:
    """What the device's records now say about the facts a certificate carries."""
    customer = session.get(CustomerRow, device.customer_id) if device.customer_id else None
    return {
        "customer": Customer(name=customer.name, org_number=customer.org_number)
        if customer
        else None,
        "source": f"Customer return: {customer.name}" if customer else "Depot intake",
        "imeis": tuple(i for i in (device.imei, device.imei2) if i),
        "serial": device.serial,
    }


def supersede_if_changed(
    ctx: StationContext, session: Session, device: Device, actor: audit.Actor, reason: str
) -> Certificate | None:
    """If a fact the device's current certificate signed (customer, IMEI, serial) no longer
    matches the records, issue a certificate that supersedes it, in this same transaction.

    Both stay in the records, linked; the audit log names both. A phone that has left the depot
    cannot change: its signed documents are final.
    """
    if device.id is None:
        return None
    old = current_certificate(session, device.id)
    if old is None:
        return None
    before = CertificatePayload.from_json(old.payload_json)
    facts = _signed_facts(session, device)
    changed = (
        before.customer != facts["customer"]
        or before.mobile.imeis != facts["imeis"]
        or before.media.serial_number != facts["serial"]
    )
    if not changed:
        return None
    if device.state == DeviceState.HANDED_OVER:
        raise StationError(
            f"{device.serial} was handed over under {old.number}: what it certifies is final"
        )
    now = utcnow()
    seq, number = allocate(session, ctx.station_id, now.year, ctx.ledger)
    event = audit.append(
        session,
        ctx.identity,
        actor,
        "certificate.superseded",
        {"old": old.number, "new": number, "reason": reason},
        device_id=device.id,
    )
    payload = dataclasses.replace(
        before,
        number=number,
        issued_at=iso(now),
        media=dataclasses.replace(
            before.media, serial_number=facts["serial"], source=facts["source"]
        ),
        mobile=dataclasses.replace(before.mobile, imeis=facts["imeis"]),
        customer=facts["customer"],
        audit=AuditAnchor(station=ctx.station_id, seq=event.seq, event_hash=event.hash),
        timezone=settings.get(session, "depot.timezone"),
        supersedes=old.number,
    )
    signed = sign(payload, ctx.identity.private_key)
    new = Certificate(
        number=number,
        station_id=ctx.station_id,
        year=now.year,
        sequence=seq,
        device_id=device.id,
        job_id=old.job_id,
        audit_event_id=event.id,
        issued_at=now,
        payload_json=payload.canonical().decode("utf-8"),
        signature=signed.signature_b64,
        digest=signed.digest,
        emulated=old.emulated,
    )
    # The database allows one current certificate per device (uq_certificates_current), checked
    # at each statement: the new one is written as superseded by the old for an instant, the old
    # then points to the new, and only then is the new made current.
    new.superseded_by_id = old.id
    session.add(new)
    session.flush()
    old.superseded_by_id = new.id
    session.add(old)
    session.flush()
    new.superseded_by_id = None
    session.add(new)
    # A batch not yet handed over lists the current certificate.
    for item in session.exec(select(BatchItem).where(BatchItem.certificate_id == old.id)).all():
        item.certificate_id = new.id  # type: ignore[assignment]
        session.add(item)
    session.flush()
    return new


def _verification_method(job: WipeJob, checks: list[str]) -> str:
    if job.verification_level == VerificationLevel.ATTESTED:
        return (
            "Attested: the station saw the phone leave the USB bus and return as a new, "
            "unauthorised device; the technician confirmed the setup screen. Checks: "
            + ", ".join(checks)
        )
    return "Read back from the returned phone: " + ", ".join(checks)


def issued_between(stmt: Any, start: date | None, end: date | None) -> Any:
    """Narrow a certificate query to those issued from ``start`` to ``end``, both days whole."""
    if start:
        stmt = stmt.where(col(Certificate.issued_at) >= datetime.combine(start, time(), UTC))
    if end:
        stmt = stmt.where(col(Certificate.issued_at) <= datetime.combine(end, time.max, UTC))
    return stmt
