"""Recycling batches: certified phones grouped for one hand-over to a recycler (miljøretur).

A batch is open while phones are added (by serial or IMEI, typed or scanned), closed when packed,
and handed over when the recycler signs for it; a handed-over batch is frozen. Every phone in a
batch has a certificate of erasure: the rules below refuse anything else, saying why.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session, col, func, select

from certificates.manifest import ManifestPhone, Party, RecyclingManifest
from wipe_station import csv_safe, settings
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.db.models import BatchItem, Certificate, Device, RecyclingBatch
from wipe_station.errors import StationError
from wipe_station.intake import find_device
from wipe_station.lifecycle import DeviceState, transition
from wipe_station.timeutil import utcnow

S = DeviceState


class BatchState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    HANDED_OVER = "handed_over"


@dataclass(frozen=True)
class BatchSummary:
    code: str
    recycler: str
    state: str
    phones: int
    created_at: datetime
    handed_over_at: datetime | None
    received_by: str | None


def _batch(session: Session, code: str, *, lock: bool = False) -> RecyclingBatch:
    stmt = select(RecyclingBatch).where(RecyclingBatch.code == code.strip().upper())
    if lock:
        stmt = stmt.with_for_update()
    batch = session.exec(stmt).first()
    if batch is None:
        raise StationError(f"no recycling batch {code}")
    return batch


def create_batch(ctx: StationContext, actor: audit.Actor, recycler: str) -> RecyclingBatch:
    recycler = recycler.strip()
    if not recycler:
        raise StationError("a batch needs the recycler's name (--recycler)")
    if len(recycler) > 200:
        raise StationError("the recycler's name is longer than 200 characters")
    with ctx.session() as s:
        prefix = f"RB-{ctx.station_id}-{utcnow().year}-"
        taken = s.exec(
            select(func.count())
            .select_from(RecyclingBatch)
            .where(col(RecyclingBatch.code).startswith(prefix))
        ).one()
        batch = RecyclingBatch(
            code=f"{prefix}{taken + 1:04d}",
            recycler=recycler,
            state=BatchState.OPEN.value,
            created_by=actor.operator_id,
        )
        s.add(batch)
        s.flush()
        audit.append(
            s,
            ctx.identity,
            actor,
            "batch.created",
            {"batch": batch.code, "recycler": recycler},
        )
        return batch


def _latest_certificate(session: Session, device_id: int) -> Certificate | None:
    return session.exec(
        select(Certificate)
        .where(Certificate.device_id == device_id)
        .order_by(col(Certificate.issued_at).desc(), col(Certificate.id).desc())
    ).first()


def _certificate_for_batch(session: Session, dev: Device) -> Certificate:
    """The certificate that lets ``dev`` into a batch; raises saying why it may not go in."""
    state = S(dev.state)
    if state is S.IN_BATCH:
        item = session.exec(select(BatchItem).where(BatchItem.device_id == dev.id)).first()
        where = session.get(RecyclingBatch, item.batch_id).code if item else "another batch"  # type: ignore[union-attr]
        raise StationError(f"{dev.serial} is already in batch {where}")
    if state is S.QUARANTINED:
        raise StationError(f"{dev.serial} is quarantined; release it before it can be recycled")
    if state is S.HANDED_OVER:
        raise StationError(f"{dev.serial} was handed over already")
    if state is not S.CERTIFIED:
        raise StationError(
            f"{dev.serial} is not certified (it is {state.value}); erase and certify it first"
        )
    cert = _latest_certificate(session, dev.id)  # type: ignore[arg-type]
    if cert is None:
        raise StationError(f"{dev.serial} has no certificate of erasure")
    return cert


def _open_batch(session: Session, code: str) -> RecyclingBatch:
    """The batch, locked, if phones may still go in or out of it."""
    batch = _batch(session, code, lock=True)
    if batch.state != BatchState.OPEN.value:
        raise StationError(f"batch {batch.code} is {batch.state.replace('_', ' ')}: no changes")
    return batch


def add_phone(ctx: StationContext, actor: audit.Actor, code: str, ident: str) -> Device:
    """Add one phone (serial or IMEI) to an open batch; raises with the reason if refused."""
    with ctx.session() as s:
        batch = _open_batch(s, code)
        dev = find_device(s, ident)
        cert = _certificate_for_batch(s, dev)
        assert cert.id is not None and batch.id is not None
        s.add(BatchItem(batch_id=batch.id, device_id=dev.id, certificate_id=cert.id))  # type: ignore[arg-type]
        transition(
            s,
            ctx.identity,
            actor,
            dev,
            S.IN_BATCH,
            extra={"batch": batch.code, "certificate": cert.number},
        )
        return dev


def waiting_for_batch(ctx: StationContext) -> list[str]:
    """Serials of certified phones that are in no batch yet, oldest first."""
    with ctx.session() as s:
        return list(
            s.exec(
                select(Device.serial)
                .where(Device.state == S.CERTIFIED.value)
                .order_by(col(Device.state_since), col(Device.id))
            ).all()
        )


def remove_phone(ctx: StationContext, actor: audit.Actor, code: str, ident: str) -> Device:
    with ctx.session() as s:
        batch = _open_batch(s, code)
        dev = find_device(s, ident)
        item = s.exec(
            select(BatchItem).where(BatchItem.device_id == dev.id, BatchItem.batch_id == batch.id)
        ).first()
        if item is None:
            raise StationError(f"{dev.serial} is not in batch {batch.code}")
        s.delete(item)
        transition(s, ctx.identity, actor, dev, S.CERTIFIED, extra={"removed_from": batch.code})
        return dev


def close_batch(ctx: StationContext, actor: audit.Actor, code: str) -> RecyclingBatch:
    with ctx.session() as s:
        batch = _batch(s, code, lock=True)
        if batch.state != BatchState.OPEN.value:
            raise StationError(f"batch {batch.code} is {batch.state.replace('_', ' ')} already")
        count = _count(s, batch)
        if count == 0:
            raise StationError(f"batch {batch.code} is empty; add phones before closing it")
        batch.state, batch.closed_at = BatchState.CLOSED.value, utcnow()
        s.add(batch)
        audit.append(s, ctx.identity, actor, "batch.closed", {"batch": batch.code, "phones": count})
        return batch


def hand_over(
    ctx: StationContext, actor: audit.Actor, code: str, received_by: str
) -> RecyclingBatch:
    received_by = received_by.strip()
    if not received_by:
        raise StationError("say who received the batch (--received-by NAME)")
    if len(received_by) > 200:
        raise StationError("the receiver's name is longer than 200 characters")
    with ctx.session() as s:
        batch = _batch(s, code, lock=True)
        if batch.state == BatchState.OPEN.value:
            raise StationError(f"batch {batch.code} is still open; close it first")
        if batch.state == BatchState.HANDED_OVER.value:
            raise StationError(f"batch {batch.code} was handed over already")
        devices = _devices(s, batch)
        for dev in devices:
            transition(s, ctx.identity, actor, dev, S.HANDED_OVER, extra={"batch": batch.code})
        batch.state, batch.handed_over_at = BatchState.HANDED_OVER.value, utcnow()
        batch.received_by = received_by
        s.add(batch)
        audit.append(
            s,
            ctx.identity,
            actor,
            "batch.handed_over",
            {"batch": batch.code, "recycler": batch.recycler, "phones": len(devices)},
            personal={"received_by": received_by},
        )
        return batch


def _count(session: Session, batch: RecyclingBatch) -> int:
    return session.exec(
        select(func.count()).select_from(BatchItem).where(BatchItem.batch_id == batch.id)
    ).one()


def _devices(session: Session, batch: RecyclingBatch) -> list[Device]:
    return list(
        session.exec(
            select(Device)
            .join(BatchItem, col(BatchItem.device_id) == Device.id)
            .where(BatchItem.batch_id == batch.id)
            .order_by(col(BatchItem.id))
        ).all()
    )


def list_batches(ctx: StationContext, state: str | None = None) -> list[BatchSummary]:
    with ctx.session() as s:
        stmt = select(RecyclingBatch).order_by(col(RecyclingBatch.id))
        if state:
            stmt = stmt.where(RecyclingBatch.state == state)
        return [
            BatchSummary(
                b.code,
                b.recycler,
                b.state,
                _count(s, b),
                b.created_at,
                b.handed_over_at,
                b.received_by,
            )
            for b in s.exec(stmt).all()
        ]


def manifest(ctx: StationContext, actor: audit.Actor, code: str) -> RecyclingManifest:
    """What the hand-over manifest shows: every phone with its certificate number."""
    with ctx.session() as s:
        batch = _batch(s, code)
        audit.append(s, ctx.identity, actor, "batch.manifest", {"batch": batch.code})
        rows = s.exec(
            select(BatchItem, Device, Certificate)
            .join(Device, col(Device.id) == BatchItem.device_id)
            .join(Certificate, col(Certificate.id) == BatchItem.certificate_id)
            .where(BatchItem.batch_id == batch.id)
            .order_by(col(BatchItem.id))
        ).all()
        phones = tuple(
            ManifestPhone(
                platform=dev.platform,
                manufacturer=dev.manufacturer,
                model=dev.model,
                serial_number=dev.serial,
                imeis=tuple(i for i in (dev.imei, dev.imei2) if i),
                certificate_number=cert.number,
                emulated=dev.emulated,
            )
            for _item, dev, cert in rows
        )
        depot = Party(
            organization=settings.get(s, "depot.organization"),
            org_number=settings.get(s, "depot.org_number"),
            location=settings.get(s, "depot.location"),
        )
        return RecyclingManifest(
            batch_id=batch.code,
            depot=depot,
            recycler=Party(organization=batch.recycler),
            created_at=batch.created_at.date().isoformat(),
            handed_over_at=batch.handed_over_at.isoformat(timespec="minutes")
            if batch.handed_over_at
            else "",
            phones=phones,
        )


def write_manifest(ctx: StationContext, actor: audit.Actor, code: str, folder: Path) -> Path:
    """Render the manifest PDF into ``folder`` (the print folder) and return its path."""
    from certificates.manifest import render_manifest

    m = manifest(ctx, actor, code)
    data = render_manifest(m)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{m.batch_id}-manifest.pdf"
        path.write_bytes(data)
    except OSError as exc:
        raise StationError(f"cannot write the manifest into {folder}: {exc.strerror}") from exc
    return path


MANIFEST_CSV_COLUMNS = (
    "batch",
    "platform",
    "manufacturer",
    "model",
    "serial",
    "imei",
    "imei2",
    "certificate",
    "emulated",
)


def manifest_csv(m: RecyclingManifest) -> str:
    """The manifest as CSV for the recycler's system: one row a phone, then the counts."""
    out = io.StringIO()
    w = csv_safe.writer(out)  # models, serials, the recycler: never a formula in a spreadsheet
    w.writerow(MANIFEST_CSV_COLUMNS)
    for p in m.phones:
        imeis = [*p.imeis, "", ""]
        w.writerow(
            [
                m.batch_id,
                p.platform,
                p.manufacturer,
                p.model,
                p.serial_number,
                imeis[0],
                imeis[1],
                p.certificate_number,
                "yes" if p.emulated else "no",
            ]
        )
    w.writerow([])
    w.writerow(["total", len(m.phones)])
    for platform in sorted({p.platform for p in m.phones}):
        w.writerow([platform, sum(1 for p in m.phones if p.platform == platform)])
    w.writerow(["recycler", m.recycler.organization])
    w.writerow(["handed_over_at", m.handed_over_at or "not yet handed over"])
    return out.getvalue()
