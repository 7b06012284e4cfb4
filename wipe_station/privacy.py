"""Data-subject access: every record the station holds about one employee, for the employer to
forward. Found by phone number or name in the intake lines (the only place a person is named) and
in the personal values behind audit-log commitments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, func, select

from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.db.models import (
    LINE_PERSONAL_VALUES,
    AuditEvent,
    AuditPersonal,
    BatchItem,
    Certificate,
    Customer,
    Device,
    IntakeLine,
    RecyclingBatch,
)
from wipe_station.errors import StationError
from wipe_station.intake import normalise_phone
from wipe_station.timeutil import iso, utcnow

NOTICE = (
    "Every record this Wipe Station holds about the person named below. Phones are erased before "
    "recycling; the station never reads the content of a phone. Personal data is anonymised "
    "6 months after the employer's contract ends; certificates of erasure are kept for "
    "accounting without personal data."
)


def _iso(value: Any) -> str | None:
    return iso(value) if value is not None else None


def _device_record(s: Session, dev: Device) -> dict[str, Any]:
    certs = s.exec(
        select(Certificate).where(Certificate.device_id == dev.id).order_by(col(Certificate.id))
    ).all()
    batch = s.exec(
        select(RecyclingBatch)
        .join(BatchItem, col(BatchItem.batch_id) == RecyclingBatch.id)
        .where(BatchItem.device_id == dev.id)
    ).first()
    history = s.exec(
        select(AuditEvent)
        .where(AuditEvent.device_id == dev.id, AuditEvent.action == "device.state")
        .order_by(col(AuditEvent.station_id), col(AuditEvent.seq))
    ).all()
    return {
        "platform": dev.platform,
        "manufacturer": dev.manufacturer,
        "model": dev.model,
        "serial": dev.serial,
        "imei": [i for i in (dev.imei, dev.imei2) if i],
        "state": dev.state,
        "first_seen": _iso(dev.created_at),
        "notes": dev.notes,
        "quarantine_reason": dev.quarantine_reason,
        "history": [
            {"at": e.at, "from": p.get("from"), "to": p.get("to")}
            for e in history
            if (p := audit.payload_of(e))
        ],
        "certificates": [{"number": c.number, "issued_at": _iso(c.issued_at)} for c in certs],
        "recycling_batch": (
            {
                "code": batch.code,
                "recycler": batch.recycler,
                "handed_over_at": _iso(batch.handed_over_at),
            }
            if batch
            else None
        ),
    }


def _line_mentions(
    s: Session, lines: Sequence[IntakeLine], value: str
) -> list[tuple[AuditEvent, str]]:
    """The intake.line events that commit to the person's values kept on their lines (lines
    imported before 2026-12-08 have theirs in audit_personal, found with the other events)."""
    wanted = value.lower()
    found: list[tuple[AuditEvent, str]] = []
    for line in lines:
        if line.personal_salt is None or line.audit_seq is None:
            continue
        fields = [
            f for f in LINE_PERSONAL_VALUES if (v := getattr(line, f)) and v.lower() == wanted
        ]
        event = s.exec(
            select(AuditEvent).where(
                AuditEvent.station_id == line.audit_station, AuditEvent.seq == line.audit_seq
            )
        ).first()
        if event is not None:
            found += [(event, f) for f in fields]
    return found


def subject_access(
    ctx: StationContext, actor: audit.Actor, *, phone: str | None, employee: str | None
) -> dict[str, Any]:
    if (phone is None) == (employee is None):
        raise StationError("name the person with either --phone NUMBER or --employee NAME")
    if employee is not None and not employee.strip():
        raise StationError("--employee needs a name")
    with ctx.session() as s:
        if phone is not None:
            value = normalise_phone(phone)
            line_cond = IntakeLine.employee_phone == value
            # lower() of a number is the number: one index serves names and numbers.
            personal_cond = func.lower(AuditPersonal.value) == value.lower()
        else:
            value = " ".join((employee or "").split())
            line_cond = func.lower(IntakeLine.employee_name) == value.lower()
            personal_cond = func.lower(AuditPersonal.value) == value.lower()
        # Erased values are not anyone's data any more, and not in the index that finds them.
        personal_cond = personal_cond & col(AuditPersonal.value).is_not(None)
        lines = s.exec(select(IntakeLine).where(line_cond).order_by(col(IntakeLine.id))).all()
        records = []
        owners: set[int] = set()
        for line in lines:
            cust = s.get(Customer, line.customer_id)
            owners.add(line.customer_id)
            dev = s.exec(select(Device).where(Device.intake_line_id == line.id)).first()
            records.append(
                {
                    "employer": {"name": cust.name, "org_number": cust.org_number}
                    if cust
                    else None,
                    "announced_return": {
                        "employee_name": line.employee_name,
                        "employee_phone": line.employee_phone,
                        "serial": line.serial,
                        "imei": line.imei,
                        "reason": line.reason,
                        "source_file": line.source_file,
                        "line": line.line_no,
                        "imported_at": _iso(line.imported_at),
                    },
                    "phone": _device_record(s, dev) if dev else None,
                }
            )
        mentions = list(
            s.exec(
                select(AuditEvent, AuditPersonal.field)
                .join(AuditPersonal, col(AuditPersonal.event_id) == AuditEvent.id)
                .where(personal_cond)
            ).all()
        )
        mentions += _line_mentions(s, lines, value)
        mentions.sort(key=lambda m: (m[0].station_id, m[0].seq, m[1]))
        audit_refs = [
            {
                "station": e.station_id,
                "seq": e.seq,
                "at": e.at,
                "action": e.action,
                "field": fld,
                "stored_as": "salted commitment; the value is erased with the personal data",
            }
            for e, fld in mentions
        ]
        kind = "phone" if phone is not None else "employee"
        owner = next(iter(owners)) if len(owners) == 1 else None
        audit.append(
            s,
            ctx.identity,
            actor,
            "privacy.exported",
            {"by": kind, "records": len(records), "audit_mentions": len(audit_refs)},
            # The request names the person: keep it only as a commitment, erased with the rest.
            personal={"subject": value} if owner is not None else None,
            owner=owner,
        )
        return {
            "notice": NOTICE,
            "generated_at": iso(utcnow()),
            "station": ctx.station_id,
            "subject": {kind: value},
            "records": records,
            "audit_log_mentions": audit_refs,
        }


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
