"""What auditors take away: certificates and evidence as CSV or JSON, and reproducible samples of
certified phones for physical spot checks. No personal data: employees never appear here."""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from certificates.payload import CertificatePayload
from wipe_station import csv_safe
from wipe_station.audit import log as audit
from wipe_station.certify import issued_between
from wipe_station.context import StationContext
from wipe_station.db.models import (
    BatchItem,
    Certificate,
    Device,
    Evidence,
    RecyclingBatch,
    WipeJob,
)
from wipe_station.errors import StationError
from wipe_station.timeutil import iso


@dataclass(frozen=True)
class CertificateRow:
    number: str
    issued_at: str
    station: str
    platform: str
    manufacturer: str
    model: str
    serial: str
    imei: str
    customer: str
    method: str
    erasure_class: str
    route: str
    verification_level: str  # readback | attested
    activation_lock: str  # not_locked | locked | unknown | "" (not read on this route)
    reusable: bool  # False: parts only
    batch: str
    digest: str
    signature: str
    emulated: bool


@dataclass(frozen=True)
class EvidenceRow:
    certificate: str
    serial: str
    seq: int
    at: str
    step: str
    check: str
    request: str
    response: str
    ok: bool


def _certificate_rows(
    session: Session, start: date | None, end: date | None
) -> list[CertificateRow]:
    stmt = (
        select(Certificate, Device, WipeJob, RecyclingBatch)
        .join(Device, col(Device.id) == Certificate.device_id)
        .outerjoin(WipeJob, col(WipeJob.id) == Certificate.job_id)
        .outerjoin(BatchItem, col(BatchItem.certificate_id) == Certificate.id)
        .outerjoin(RecyclingBatch, col(RecyclingBatch.id) == BatchItem.batch_id)
        # Current certificates only: a superseded one no longer says what the records say.
        .where(col(Certificate.superseded_by_id).is_(None))
        .order_by(col(Certificate.issued_at), col(Certificate.number))
    )
    out = []
    for cert, dev, job, batch in session.exec(issued_between(stmt, start, end)).all():
        # The certified facts are read from what was signed, so the export cannot disagree.
        signed = CertificatePayload.from_json(cert.payload_json)
        out.append(
            CertificateRow(
                number=cert.number,
                issued_at=iso(cert.issued_at),
                station=cert.station_id,
                platform=dev.platform,
                manufacturer=dev.manufacturer,
                model=dev.model,
                serial=signed.media.serial_number,
                imei=signed.mobile.imeis[0] if signed.mobile.imeis else "",
                customer=signed.customer.org_number if signed.customer else "",
                method=job.method if job else "",
                erasure_class=(job.erasure_class or "") if job else "",
                route=(job.route or "") if job else "",
                verification_level=(job.verification_level or "") if job else "",
                activation_lock=(job.activation_lock or "") if job else "",
                reusable=job.reusable is not False if job else True,
                batch=batch.code if batch else "",
                digest=cert.digest,
                signature=cert.signature,
                emulated=cert.emulated,
            )
        )
    return out


def certificates(
    ctx: StationContext, actor: audit.Actor, start: date | None = None, end: date | None = None
) -> list[CertificateRow]:
    with ctx.session() as s:
        rows = _certificate_rows(s, start, end)
        audit.append(
            s, ctx.identity, actor, "export.certificates", {"count": len(rows)} | _span(start, end)
        )
        return rows


def evidence(
    ctx: StationContext, actor: audit.Actor, start: date | None = None, end: date | None = None
) -> list[EvidenceRow]:
    """The evidence behind each certificate in the period: every question and answer."""
    with ctx.session() as s:
        stmt = (
            select(Certificate, Device, Evidence)
            .join(Device, col(Device.id) == Certificate.device_id)
            .join(Evidence, col(Evidence.job_id) == Certificate.job_id)
            .where(col(Certificate.superseded_by_id).is_(None))
            .order_by(col(Certificate.number), col(Evidence.seq))
        )
        rows = [
            EvidenceRow(
                certificate=cert.number,
                serial=dev.serial,
                seq=ev.seq,
                at=iso(ev.at),
                step=ev.step,
                check=ev.check,
                request=ev.request,
                response=ev.response,
                ok=ev.ok,
            )
            for cert, dev, ev in s.exec(issued_between(stmt, start, end)).all()
        ]
        audit.append(
            s, ctx.identity, actor, "export.evidence", {"count": len(rows)} | _span(start, end)
        )
        return rows


def _span(start: date | None, end: date | None) -> dict[str, str | None]:
    return {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
    }


def to_csv(rows: list[Any], row_type: type | None = None) -> str:
    """The rows as CSV. The header comes from the row type (``CertificateRow`` unless given),
    so an export with no rows still says what its columns are."""
    out = io.StringIO()
    w = csv_safe.writer(out)  # serials, models, names: never a formula in a spreadsheet
    kind = type(rows[0]) if rows else (row_type or CertificateRow)
    w.writerow([f.name for f in fields(kind)])
    for row in rows:
        w.writerow([_cell(v) for v in asdict(row).values()])
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def to_json(rows: list[Any], kind: str) -> str:
    return json.dumps(
        {"kind": kind, "count": len(rows), "rows": [asdict(r) for r in rows]},
        ensure_ascii=False,
        indent=1,
    )


def sample(
    ctx: StationContext,
    actor: audit.Actor,
    percent: float,
    seed: str,
    start: date | None = None,
    end: date | None = None,
) -> list[CertificateRow]:
    """A reproducible random sample of certified phones: each certificate is ranked by
    SHA-256(seed, number) and the lowest ``percent`` taken (at least one). The same seed over the
    same certificates gives the same sample on any machine; certificates issued later do not
    change which of the earlier ones were drawn ahead of others."""
    if not 0 < percent <= 100:
        raise StationError("--percent must be more than 0 and at most 100")
    if not seed.strip():
        raise StationError("the sample needs a seed")
    with ctx.session() as s:
        rows = _certificate_rows(s, start, end)
        if not rows:
            raise StationError("no certificates in that period to sample from")
        k = max(1, math.ceil(len(rows) * percent / 100))
        ranked = sorted(
            rows, key=lambda r: hashlib.sha256(f"{seed}\x00{r.number}".encode()).hexdigest()
        )
        chosen = sorted(ranked[:k], key=lambda r: r.number)
        audit.append(
            s,
            ctx.identity,
            actor,
            "audit.sampled",
            {
                "seed": seed,
                "percent": percent,
                "population": len(rows),
                "drawn": [r.number for r in chosen],
            }
            | _span(start, end),
        )
        return chosen
