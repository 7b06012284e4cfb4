"""Appending to the audit log, inside the caller's transaction.

An event is written in the same transaction as the change it describes, so a record never exists
without its event or the other way round. The per-station head row is locked for the append, which
serialises writers across processes and stations sharing one PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from wipe_station.audit.chain import GENESIS, canonical, checkpoint_message, commitment, event_hash
from wipe_station.db.models import AuditCheckpoint, AuditEvent, AuditHead, AuditPersonal
from wipe_station.db.upsert import insert_ignore
from wipe_station.identity import StationIdentity
from wipe_station.timeutil import iso, utcnow

CHECKPOINT_EVERY = 64
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who an event is attributed to: a signed-in operator, or the station itself."""

    name: str
    operator_id: int | None = None
    role: str | None = None


SYSTEM_ACTOR = Actor(SYSTEM)


def _locked_head(session: Session, station_id: str) -> AuditHead:
    stmt = select(AuditHead).where(AuditHead.station_id == station_id).with_for_update()
    head = session.exec(stmt).one_or_none()
    if head is None:
        insert_ignore(session, AuditHead, station_id=station_id, last_seq=0, last_hash=GENESIS)
        head = session.exec(stmt).one()
    return head


def append(
    session: Session,
    identity: StationIdentity,
    actor: Actor,
    action: str,
    payload: dict[str, Any] | None = None,
    *,
    device_id: int | None = None,
    personal: dict[str, str] | None = None,
    owner: int | None = None,
) -> AuditEvent:
    """Add one event to this station's chain. ``personal`` values are chained only as salted
    commitments, so retention can erase them later without breaking the chain; ``owner`` is the
    customer whose contract end decides when that happens."""
    body: dict[str, Any] = dict(payload or {})
    salts: dict[str, str] = {}
    if personal:
        commitments = {}
        for field, value in sorted(personal.items()):
            salts[field] = os.urandom(16).hex()
            commitments[field] = commitment(salts[field], value)
        body["personal"] = commitments
    payload_text = canonical(body).decode("utf-8")

    head = _locked_head(session, identity.station_id)
    seq = head.last_seq + 1
    at = iso(utcnow())
    digest = event_hash(
        station=identity.station_id,
        seq=seq,
        at=at,
        operator=actor.name,
        action=action,
        device=device_id,
        payload=payload_text,
        prev=head.last_hash,
    )
    event = AuditEvent(
        station_id=identity.station_id,
        seq=seq,
        at=at,
        operator=actor.name,
        action=action,
        device_id=device_id,
        payload=payload_text,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(event)
    head.last_seq, head.last_hash = seq, digest
    session.add(head)
    session.flush()
    for field, value in (personal or {}).items():
        session.add(
            AuditPersonal(
                event_id=event.id, customer_id=owner, field=field, salt=salts[field], value=value
            )
        )
    if seq % CHECKPOINT_EVERY == 0:
        _add_checkpoint(session, identity, seq, digest)
    return event


def _add_checkpoint(session: Session, identity: StationIdentity, seq: int, head: str) -> None:
    at = iso(utcnow())
    msg = checkpoint_message(station=identity.station_id, seq=seq, head=head, at=at)
    session.add(
        AuditCheckpoint(
            station_id=identity.station_id,
            seq=seq,
            head_hash=head,
            at=at,
            signature=base64.b64encode(identity.sign(msg)).decode("ascii"),
        )
    )


def checkpoint_head(session: Session, identity: StationIdentity) -> int:
    """Sign the current head unless it is signed already; returns the head's sequence number."""
    head = _locked_head(session, identity.station_id)
    if head.last_seq == 0:
        return 0
    latest = session.exec(
        select(AuditCheckpoint.seq)
        .where(AuditCheckpoint.station_id == identity.station_id)
        .order_by(AuditCheckpoint.seq.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).first()
    if latest != head.last_seq:
        _add_checkpoint(session, identity, head.last_seq, head.last_hash)
    return head.last_seq


def payload_of(event: AuditEvent) -> dict[str, Any]:
    return json.loads(event.payload)
