"""Appending to the audit log, inside the caller's transaction.

An event is written in the same transaction as the change it describes, so a record never exists
without its event or the other way round. The per-station head row is locked for the append, which
serialises writers across processes and stations sharing one PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from wipe_station.audit.chain import (
    GENESIS,
    canonical,
    checkpoint_message,
    commitment,
    event_hash,
    hash_event,
)
from wipe_station.db import bulk
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


@dataclass(frozen=True)
class Pending:
    """One event for `append_many`; the fields mean what `append`'s arguments mean."""

    action: str
    payload: dict[str, Any]
    device_id: int | None = None
    personal: dict[str, str] | None = None
    owner: int | None = None


def append_many(
    session: Session, identity: StationIdentity, actor: Actor, events: Sequence[Pending]
) -> None:
    """Add many events at once (an intake file's lines): the chain, commitments and
    checkpoints `append` would write, with one head lock and bulk inserts instead of an ORM
    flush per event (33 s for a 21,000-line file before)."""
    if not events:
        return
    head = _locked_head(session, identity.station_id)
    seq, prev, at = head.last_seq, head.last_hash, iso(utcnow())
    rows: list[dict[str, Any]] = []
    personal: list[tuple[int, Pending, dict[str, str]]] = []
    signed: list[tuple[int, str]] = []
    for ev in events:
        body: dict[str, Any] = dict(ev.payload)
        salts: dict[str, str] = {}
        if ev.personal:
            salts = {field: os.urandom(16).hex() for field in sorted(ev.personal)}
            body["personal"] = {f: commitment(salts[f], ev.personal[f]) for f in salts}
        payload_text = canonical(body).decode("utf-8")
        seq += 1
        digest = hash_event(
            identity.station_id, seq, at, actor.name, ev.action, ev.device_id, payload_text, prev
        )
        rows.append(
            {
                "station_id": identity.station_id,
                "seq": seq,
                "at": at,
                "operator": actor.name,
                "action": ev.action,
                "device_id": ev.device_id,
                "payload": payload_text,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        if salts:
            personal.append((len(rows) - 1, ev, salts))
        if seq % CHECKPOINT_EVERY == 0:
            signed.append((seq, digest))
        prev = digest
    bulk.insert_plain(session, AuditEvent, rows)
    first = rows[0]["seq"]
    ids_by_seq = dict(
        session.execute(
            select(AuditEvent.seq, AuditEvent.id).where(  # type: ignore[call-overload]
                AuditEvent.station_id == identity.station_id, AuditEvent.seq >= first
            )
        ).all()
    )
    ids = [ids_by_seq[row["seq"]] for row in rows]
    personal_rows = [
        {
            "event_id": ids[i],
            "customer_id": ev.owner,
            "field": field,
            "salt": salt,
            "value": (ev.personal or {})[field],
        }
        for i, ev, salts in personal
        for field, salt in salts.items()
    ]
    bulk.insert_plain(session, AuditPersonal, personal_rows)
    for at_seq, digest in signed:
        _add_checkpoint(session, identity, at_seq, digest)
    head.last_seq, head.last_hash = seq, prev
    session.add(head)
    session.flush()


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
