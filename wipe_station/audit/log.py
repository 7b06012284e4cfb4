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
    flush per event (33 s for a 21,000-line file before).

    Rows are built as tuples for the driver, the salts drawn in one call, the event ids come
    back from the insert itself and checkpoints are rows, not ORM objects: per-row dicts, a
    urandom call per value, a SQLAlchemy select of the new ids and an ORM flush of the
    checkpoints cost more CPU than the hashing (issue 19). The bytes, hashes, salts (the same
    random stream, drawn in the same order) and signatures are `append`'s."""
    if not events:
        return
    head = _locked_head(session, identity.station_id)
    seq, prev, at = head.last_seq, head.last_hash, iso(utcnow())
    station, operator = identity.station_id, actor.name
    fields_of = [sorted(ev.personal) if ev.personal else () for ev in events]
    # 16 random bytes per personal value, as `append` draws them, in one system call; the
    # salts are their hex in the same order (field order within an event).
    salts = os.urandom(16 * sum(map(len, fields_of))).hex()
    drawn = 0
    rows: list[tuple[Any, ...]] = []
    # (index of the event in rows, owner, field, salt, value): the event id comes later.
    personal: list[tuple[int, int | None, str, str, str]] = []
    signed: list[tuple[int, str]] = []
    for index, (ev, fields) in enumerate(zip(events, fields_of, strict=True)):
        body: dict[str, Any] = dict(ev.payload)
        if fields:
            values = ev.personal or {}
            commitments = {}
            for f in fields:
                salt = salts[drawn : drawn + 32]
                drawn += 32
                commitments[f] = commitment(salt, values[f])
                personal.append((index, ev.owner, f, salt, values[f]))
            body["personal"] = commitments
        payload_text = canonical(body).decode("utf-8")
        seq += 1
        digest = hash_event(station, seq, at, operator, ev.action, ev.device_id, payload_text, prev)
        rows.append(
            (station, seq, at, operator, ev.action, ev.device_id, payload_text, prev, digest)
        )
        if seq % CHECKPOINT_EVERY == 0:
            signed.append((seq, digest))
        prev = digest
    ids = bulk.insert_tuples(session, AuditEvent, _EVENT_COLUMNS, rows, key="seq")
    bulk.insert_plain_tuples(
        session,
        AuditPersonal,
        _PERSONAL_COLUMNS,
        [(ids[i], owner, f, salt, value) for i, owner, f, salt, value in personal],
    )
    # The checkpoints `append` would sign, as rows (an ORM object each cost more than the
    # signature).
    bulk.insert_plain_tuples(
        session,
        AuditCheckpoint,
        _CHECKPOINT_COLUMNS,
        [_checkpoint_row(identity, at_seq, digest) for at_seq, digest in signed],
    )
    head.last_seq, head.last_hash = seq, prev
    session.add(head)
    session.flush()


_EVENT_COLUMNS = (
    "station_id",
    "seq",
    "at",
    "operator",
    "action",
    "device_id",
    "payload",
    "prev_hash",
    "hash",
)
_PERSONAL_COLUMNS = ("event_id", "customer_id", "field", "salt", "value")
_CHECKPOINT_COLUMNS = ("station_id", "seq", "head_hash", "at", "signature")


def _add_checkpoint(session: Session, identity: StationIdentity, seq: int, head: str) -> None:
    station_id, seq, head_hash, at, signature = _checkpoint_row(identity, seq, head)
    session.add(
        AuditCheckpoint(
            station_id=station_id, seq=seq, head_hash=head_hash, at=at, signature=signature
        )
    )


def _checkpoint_row(
    identity: StationIdentity, seq: int, head: str
) -> tuple[str, int, str, str, str]:
    """A signed checkpoint of ``head`` at ``seq``, in the order of `_CHECKPOINT_COLUMNS`."""
    at = iso(utcnow())
    msg = checkpoint_message(station=identity.station_id, seq=seq, head=head, at=at)
    signature = base64.b64encode(identity.sign(msg)).decode("ascii")
    return identity.station_id, seq, head, at, signature


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
