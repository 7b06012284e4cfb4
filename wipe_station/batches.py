"""Recycling batches: certified phones grouped for one hand-over to a recycler (miljøretur).

A batch is open while phones are added (by serial or IMEI, typed or scanned), closed when packed,
and handed over when the recycler signs for it; a handed-over batch is frozen. Every phone in a
batch has a certificate of erasure: the rules below refuse anything else, saying why.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, or_, select

from certificates.manifest import (
    ManifestPhone,
    Party,
    RecyclingManifest,
    SignedManifest,
    render_manifest,
    sign_manifest,
)
from certificates.payload import CertificatePayload
from wipe_station import csv_safe, settings
from wipe_station.audit import log as audit
from wipe_station.certify import current_certificate
from wipe_station.context import StationContext
from wipe_station.db import bulk
from wipe_station.db.models import (
    AuditEvent,
    BatchItem,
    Certificate,
    Device,
    Operator,
    RecyclingBatch,
)
from wipe_station.errors import StationError
from wipe_station.intake import find_device
from wipe_station.lifecycle import DeviceState, transition, transition_many
from wipe_station.timeutil import iso, utcnow

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


def handed_over_before(session: Session, dev: Device) -> tuple[str, datetime] | None:
    """The batch and time another record of this phone (same serial or IMEI) left the depot."""
    conds = [Device.serial == dev.serial]
    for imei in (i for i in (dev.imei, dev.imei2) if i):
        conds += [Device.imei == imei, Device.imei2 == imei]
    row = session.exec(
        select(RecyclingBatch.code, RecyclingBatch.handed_over_at)
        .join(BatchItem, col(BatchItem.batch_id) == RecyclingBatch.id)
        .join(Device, col(Device.id) == BatchItem.device_id)
        .where(or_(*conds), RecyclingBatch.state == BatchState.HANDED_OVER.value)
        .where(Device.id != dev.id)
        .order_by(col(RecyclingBatch.handed_over_at).desc())
    ).first()
    if row is None or row[1] is None:
        return None
    return row[0], row[1]


def released_to_leave_again(session: Session, dev: Device) -> bool:
    """An admin released this record of a phone that left once, saying why."""
    return (
        session.exec(
            select(AuditEvent.id).where(
                AuditEvent.device_id == dev.id, AuditEvent.action == REPEAT_RELEASED
            )
        ).first()
        is not None
    )


REPEAT_RELEASED = "device.repeat_released"


def _left_once(session: Session, dev: Device) -> None:
    """Refuse a phone that was handed over before, unless an admin released it again."""
    before = handed_over_before(session, dev)
    if before and not released_to_leave_again(session, dev):
        raise StationError(_left_once_refusal(dev, *before))


def _left_once_refusal(dev: Device, code: str, when: datetime) -> str:
    return (
        f"{dev.serial} was handed over in {code} on {when.date().isoformat()}; an admin "
        "must release it, with a reason, before it goes in a batch again"
    )


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
    cert = current_certificate(session, dev.id)  # type: ignore[arg-type]
    if cert is None:
        raise StationError(f"{dev.serial} has no certificate of erasure")
    _left_once(session, dev)
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
        _put_in(s, ctx, actor, batch, dev)
        return dev


def _put_in(
    s: Session, ctx: StationContext, actor: audit.Actor, batch: RecyclingBatch, dev: Device
) -> None:
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


def waiting_for_batch(ctx: StationContext, station_id: str | None = None) -> list[str]:
    """Serials of certified phones that are in no batch yet, oldest first, of the station that
    asks (or of ``station_id``): on a shared PostgreSQL database each station fills its own
    batches with the phones on its own bench (docs/decisions.md, 2026-12-07)."""
    with ctx.session() as s:
        return [serial for _, serial in _waiting(s, station_id or ctx.station_id)]


def _waiting(s: Session, station_id: str) -> list[tuple[int, str]]:
    return [
        (dev_id, serial)
        for dev_id, serial in s.exec(
            select(Device.id, Device.serial)
            .where(Device.state == S.CERTIFIED.value)
            .where(Device.station_id == station_id)
            .order_by(col(Device.state_since), col(Device.id))
        ).all()
        if dev_id is not None
    ]


def remove_phone(
    ctx: StationContext, actor: audit.Actor, code: str, ident: str, reason: str = ""
) -> Device:
    """Take a phone out of an open batch (back to certified); ``reason`` is audited with it."""
    reason = " ".join(reason.split())
    if len(reason) > 200:
        raise StationError("the reason is longer than 200 characters")
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
        if reason:
            # Typed text may name a person: the chain keeps a commitment, retention the value.
            audit.append(
                s,
                ctx.identity,
                actor,
                "batch.phone_removed",
                {"batch": batch.code},
                device_id=dev.id,
                personal={"reason": reason},
                owner=dev.customer_id,
            )
        return dev


@dataclass(frozen=True)
class BatchPhone:
    """One phone in a batch, as the packing table sees it."""

    certificate: str
    manufacturer: str
    model: str
    serial: str
    imei: str


def batch_phones(ctx: StationContext, code: str) -> list[BatchPhone]:
    """The phones in batch ``code`` in the order they went in, with their certificates."""
    with ctx.session() as s:
        batch = _batch(s, code)
        rows = s.exec(
            select(Device, Certificate)
            .join(BatchItem, col(BatchItem.device_id) == Device.id)
            .join(Certificate, col(Certificate.id) == BatchItem.certificate_id)
            .where(BatchItem.batch_id == batch.id)
            .order_by(col(BatchItem.id))
        ).all()
        return [
            BatchPhone(cert.number, dev.manufacturer, dev.model, dev.serial, dev.imei or "")
            for dev, cert in rows
        ]


def add_all_certified(
    ctx: StationContext, actor: audit.Actor, code: str, station_id: str | None = None
) -> tuple[list[Device], list[tuple[str, str]]]:
    """Add every certified phone of this station (or ``station_id``) in no batch yet; returns
    (added, [(serial, why refused)]).

    The rules are `add_phone`'s, asked of ``ADD_CHUNK`` phones at once, each chunk one
    transaction: a phone refused does not stop the rest. (One phone at a time, each its own
    transaction, took 4 s for a bench's few hundred waiting phones, issue 30.)"""
    with ctx.session() as s:
        _open_batch(s, code)  # a closed batch refuses once, not once per phone
        waiting = _waiting(s, station_id or ctx.station_id)
    added: list[Device] = []
    refused: list[tuple[str, str]] = []
    for start in range(0, len(waiting), ADD_CHUNK):
        chunk = waiting[start : start + ADD_CHUNK]
        with ctx.session() as s:
            batch = _open_batch(s, code)
            went, why = _put_in_many(s, ctx, actor, batch, [dev_id for dev_id, _ in chunk])
        added += went
        refused += [(serial, why[dev_id]) for dev_id, serial in chunk if dev_id in why]
    return added, refused


# Phones `add_all_certified` adds in one transaction.
ADD_CHUNK = 500


def _put_in_many(
    s: Session, ctx: StationContext, actor: audit.Actor, batch: RecyclingBatch, ids: list[int]
) -> tuple[list[Device], dict[int, str]]:
    """`_put_in` for the phones ``ids`` at once: their rows locked, the certificate, left-before
    and release look-ups one query each, the batch entries, states and chained events written
    together. Returns the phones added (in the order of ``ids``) and, by id, why the others
    were refused, in `_certificate_for_batch`'s words."""
    devices = {
        d.id: d
        for d in s.exec(select(Device).where(col(Device.id).in_(ids)).with_for_update()).all()
    }
    certs: dict[int, Certificate] = {}
    # By device only, the rest sorted out here: SQLite, without statistics, answered
    # "superseded_by_id IS NULL" from its index (every current certificate) or walked the
    # issued_at index for an ORDER BY.
    mine = s.exec(select(Certificate).where(col(Certificate.device_id).in_(ids))).all()
    for cert in sorted(mine, key=lambda c: (c.issued_at, c.id or 0)):
        if cert.superseded_by_id is None:
            certs[cert.device_id] = cert  # the newest, as `current_certificate` takes it
    left = _left_before_many(s, [d for d in devices.values() if d.state == S.CERTIFIED.value])
    released = set(
        s.exec(
            select(AuditEvent.device_id).where(
                col(AuditEvent.device_id).in_(list(left)), AuditEvent.action == REPEAT_RELEASED
            )
        ).all()
        if left
        else ()
    )
    refused: dict[int, str] = {}
    going: list[tuple[Device, Certificate]] = []
    for dev_id in ids:
        dev = devices.get(dev_id)
        if dev is None:
            refused[dev_id] = "no longer on record"
            continue
        if dev.state != S.CERTIFIED.value:
            try:
                _certificate_for_batch(s, dev)  # raises, saying why, for every other state
            except StationError as exc:
                refused[dev_id] = str(exc)
                continue
        cert = certs.get(dev_id)
        if cert is None or cert.id is None:
            refused[dev_id] = f"{dev.serial} has no certificate of erasure"
        elif dev_id in left and dev_id not in released:
            refused[dev_id] = _left_once_refusal(dev, *left[dev_id])
        else:
            going.append((dev, cert))
    if not going:
        return [], refused
    now = utcnow()
    assert batch.id is not None
    bulk.insert_plain_tuples(
        s,
        BatchItem,
        ("batch_id", "device_id", "certificate_id", "added_at"),
        [(batch.id, dev.id, cert.id, now) for dev, cert in going],
    )
    transition_many(
        s,
        ctx.identity,
        actor,
        [(dev, {"batch": batch.code, "certificate": cert.number}) for dev, cert in going],
        S.IN_BATCH,
    )
    return [dev for dev, _ in going], refused


def _left_before_many(s: Session, devices: list[Device]) -> dict[int, tuple[str, datetime]]:
    """`handed_over_before` for many phones in four queries: by device id, the batch and time
    another record of the phone (same serial or IMEI) last left the depot."""
    if not devices:
        return {}
    serials = {d.serial for d in devices}
    imeis = {i for d in devices for i in (d.imei, d.imei2) if i}
    # Two steps, each on its own indexes, rather than one join: SQLite, without statistics,
    # began a join with 500 values from the handed-over batches and read all their entries.
    ids = {d.id for d in devices}
    others: dict[int, tuple[str, str | None, str | None]] = {}
    for column, values in ((Device.serial, serials), (Device.imei, imeis), (Device.imei2, imeis)):
        for other_id, serial, imei, imei2 in s.exec(
            select(Device.id, Device.serial, Device.imei, Device.imei2).where(
                col(column).in_(values)
            )
        ).all():
            if other_id is not None and other_id not in ids:
                others[other_id] = (serial, imei, imei2)
    if not others:
        return {}
    rows = [
        (other_id, *others[other_id], code, when)
        for other_id, code, when in s.exec(
            select(BatchItem.device_id, RecyclingBatch.code, RecyclingBatch.handed_over_at)
            .join(RecyclingBatch, col(RecyclingBatch.id) == BatchItem.batch_id)
            .where(col(BatchItem.device_id).in_(list(others)))
            .where(RecyclingBatch.state == BatchState.HANDED_OVER.value)
        ).all()
    ]
    found: dict[int, tuple[str, datetime]] = {}
    for dev in devices:
        assert dev.id is not None
        mine = {i for i in (dev.imei, dev.imei2) if i}
        for other_id, serial, imei, imei2, batch_code, when in rows:
            if other_id == dev.id or when is None:
                continue
            same = serial == dev.serial or imei in mine or imei2 in mine
            if same and (dev.id not in found or found[dev.id][1] < when):
                found[dev.id] = (batch_code, when)
    return found


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
            _left_once(s, dev)  # a phone is never in two hand-overs by accident
            transition(s, ctx.identity, actor, dev, S.HANDED_OVER, extra={"batch": batch.code})
        batch.state, batch.handed_over_at = BatchState.HANDED_OVER.value, utcnow()
        batch.received_by = received_by
        batch.handed_over_by = actor.operator_id
        s.add(batch)
        s.flush()
        # The signed manifest is made now and kept: every later print is this same document.
        signed = sign_manifest(_manifest_of(s, batch, ctx.station_id), ctx.identity.private_key)
        batch.manifest_json = signed.manifest.canonical().decode("utf-8")
        batch.manifest_signature = base64.b64encode(signed.signature).decode("ascii")
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


def _batch_listing(state: str | None) -> Any:
    """Batches with their phone counts in one query, and none of their manifests (~18 KB each,
    5,000 batches at five years)."""
    phones = (
        select(BatchItem.batch_id, func.count().label("phones"))
        .group_by(col(BatchItem.batch_id))
        .subquery()
    )
    stmt = select(
        RecyclingBatch.code,
        RecyclingBatch.recycler,
        RecyclingBatch.state,
        func.coalesce(phones.c.phones, 0),
        RecyclingBatch.created_at,
        RecyclingBatch.handed_over_at,
        RecyclingBatch.received_by,
    ).outerjoin(phones, phones.c.batch_id == RecyclingBatch.id)
    if state:
        stmt = stmt.where(RecyclingBatch.state == state)
    return stmt


def list_batches(
    ctx: StationContext, state: str | None = None, *, newest: int | None = None
) -> list[BatchSummary]:
    """Batches oldest first, or with ``newest`` the newest that many, newest first."""
    with ctx.session() as s:
        stmt = _batch_listing(state)
        if newest is None:
            stmt = stmt.order_by(col(RecyclingBatch.id))
        else:
            stmt = stmt.order_by(col(RecyclingBatch.id).desc()).limit(newest)
        return [BatchSummary(*row) for row in s.execute(stmt)]


def count_batches(ctx: StationContext, state: str | None = None) -> int:
    with ctx.session() as s:
        stmt = select(func.count()).select_from(RecyclingBatch)
        if state:
            stmt = stmt.where(RecyclingBatch.state == state)
        return int(s.execute(stmt).scalar_one())


def manifest(
    ctx: StationContext, actor: audit.Actor, code: str
) -> RecyclingManifest | SignedManifest:
    """The hand-over manifest: every phone with its current certificate number.

    An open batch gives an unsigned draft; a closed batch a manifest signed now; a handed-over
    batch the signed manifest kept from its hand-over.
    """
    with ctx.session() as s:
        batch = _batch(s, code)
        audit.append(s, ctx.identity, actor, "batch.manifest", {"batch": batch.code})
        if batch.manifest_json and batch.manifest_signature:
            return SignedManifest(
                RecyclingManifest.from_dict(json.loads(batch.manifest_json)),
                base64.b64decode(batch.manifest_signature),
            )
        m = _manifest_of(s, batch, ctx.station_id)
        if batch.state == BatchState.OPEN.value:
            return m
        return sign_manifest(m, ctx.identity.private_key)


def _manifest_of(s: Session, batch: RecyclingBatch, station_id: str) -> RecyclingManifest:
    rows = s.exec(
        select(BatchItem, Device, Certificate)
        .join(Device, col(Device.id) == BatchItem.device_id)
        .join(Certificate, col(Certificate.id) == BatchItem.certificate_id)
        .where(BatchItem.batch_id == batch.id)
        .order_by(col(BatchItem.id))
    ).all()
    phones = []
    for _item, dev, cert in rows:
        signed = CertificatePayload.from_json(cert.payload_json)
        phones.append(
            ManifestPhone(
                platform=dev.platform,
                manufacturer=dev.manufacturer,
                model=dev.model,
                serial_number=dev.serial,
                imeis=tuple(i for i in (dev.imei, dev.imei2) if i),
                certificate_number=cert.number,
                emulated=dev.emulated,
                parts_only=not signed.mobile.reusable,
            )
        )
    depot = Party(
        organization=settings.get(s, "depot.organization"),
        org_number=settings.get(s, "depot.org_number"),
        location=settings.get(s, "depot.location"),
    )
    by = s.get(Operator, batch.handed_over_by) if batch.handed_over_by else None
    return RecyclingManifest(
        batch_id=batch.code,
        depot=depot,
        recycler=Party(organization=batch.recycler),
        created_at=iso(batch.created_at),
        handed_over_at=iso(batch.handed_over_at) if batch.handed_over_at else "",
        phones=tuple(phones),
        station_id=station_id,
        handed_over_by=by.name if by else "",
        received_by=batch.received_by or "",
        timezone=settings.get(s, "depot.timezone"),
    )


def write_manifest(ctx: StationContext, actor: audit.Actor, code: str, folder: Path) -> Path:
    """Render the manifest PDF into ``folder`` (the print folder) and return its path."""
    doc = manifest(ctx, actor, code)
    data = render_manifest(doc)
    m = doc.manifest if isinstance(doc, SignedManifest) else doc
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
    "parts_only",
)


def manifest_csv(doc: RecyclingManifest | SignedManifest) -> str:
    """The manifest as CSV for the recycler's system: one row a phone, then the counts."""
    m = doc.manifest if isinstance(doc, SignedManifest) else doc
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
                "yes" if p.parts_only else "no",
            ]
        )
    w.writerow([])
    w.writerow(["total", len(m.phones)])
    for platform in sorted({p.platform for p in m.phones}):
        w.writerow([platform, sum(1 for p in m.phones if p.platform == platform)])
    w.writerow(["recycler", m.recycler.organization])
    w.writerow(["handed_over_at", m.handed_over_at or "not yet handed over"])
    w.writerow(["handed_over_by", m.handed_over_by])
    w.writerow(["received_by", m.received_by])
    w.writerow(["signed", "yes" if isinstance(doc, SignedManifest) else "no (draft)"])
    return out.getvalue()
