"""Issuing a certificate of erasure for a verified wipe job.

Number, audit event, signature, record and the device's move to CERTIFIED happen in one
transaction: a certificate exists with all of them or not at all, and its number is never lost.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time
from typing import Any

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
from wipe_station import __version__, settings
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.db.models import Certificate, Device, WipeJob
from wipe_station.db.models import Customer as CustomerRow
from wipe_station.errors import StationError
from wipe_station.evidence import evidence_digest, job_evidence
from wipe_station.lifecycle import DeviceState, transition
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


def signed_from_record(cert: Certificate) -> SignedCertificate:
    return SignedCertificate(
        CertificatePayload.from_json(cert.payload_json), base64.b64decode(cert.signature)
    )


def issue_certificate(ctx: StationContext, job_id: int, actor: audit.Actor) -> Certificate:
    with ctx.session() as session:
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
        return _issue(ctx, session, job, device, actor)


def _issue(
    ctx: StationContext, session: Session, job: WipeJob, device: Device, actor: audit.Actor
) -> Certificate:
    now = utcnow()
    seq, number = allocate(session, ctx.station_id, now.year)
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
    org = settings.get(session, "depot.organization")
    person = Person(
        name=actor.name,
        title=ROLE_TITLES.get(actor.role or "", actor.role or ""),
        organization=org,
        location=settings.get(session, "depot.location"),
        phone=settings.get(session, "depot.phone"),
    )
    verify_checks = sorted({e.check for e in evidence if e.step == "verify"})
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
            classification=settings.get(session, "media.classification"),
            data_backed_up="No (not by the depot)",
        ),
        sanitization=Sanitization(
            method_type="Purge" if job.erasure_class == "purge" else "Clear",
            method_used=job.method or "Factory reset",
            method_details=METHOD_DETAILS.get(device.platform, ""),
            tool="Wipe Station",
            tool_version=__version__,
            verification_method="Post-erasure inspection of the returned phone: "
            + ", ".join(verify_checks),
            post_classification="Unclassified (no user data)",
            notes="Emulated lab phone: not a real erasure" if device.emulated else "",
        ),
        destination=Destination(
            description=settings.get(session, "destination.description"),
            facility=settings.get(session, "destination.facility"),
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
        ),
        audit=AuditAnchor(station=ctx.station_id, seq=event.seq, event_hash=event.hash),
        customer=Customer(name=customer.name, org_number=customer.org_number) if customer else None,
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


def issued_between(stmt: Any, start: date | None, end: date | None) -> Any:
    """Narrow a certificate query to those issued from ``start`` to ``end``, both days whole."""
    if start:
        stmt = stmt.where(col(Certificate.issued_at) >= datetime.combine(start, time(), UTC))
    if end:
        stmt = stmt.where(col(Certificate.issued_at) <= datetime.combine(end, time.max, UTC))
    return stmt
