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
from typing import Any, NamedTuple

from sqlmodel import Session, select

from wipe_station.audit.chain import (
    GENESIS,
    canonical,
    checkpoint_message,
    commitment,
    event_hash,
    hash_event,
    kept_commitments,
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


class Pending(NamedTuple):
    """One event for `append_many`; the fields mean what `append`'s arguments mean, but for
    ``salt``: given, the caller keeps the ``personal`` values itself, with this salt, on the
    record they belong to (an intake line, `new_salts`); they are committed to with
    `kept_commitments`, and no audit_personal row is written. (A tuple: an import makes
    20,000 of them, and a frozen dataclass cost a sixth of the chain's building.)"""

    action: str
    payload: dict[str, Any]
    device_id: int | None = None
    personal: dict[str, str] | None = None
    owner: int | None = None
    salt: str | None = None


def append_pending(
    session: Session, identity: StationIdentity, actor: Actor, event: Pending
) -> AuditEvent:
    """`append` of one event made as a `Pending` (for one phone what `append_many` is for
    many); its personal values are kept here, in audit_personal."""
    if event.salt is not None:
        raise ValueError(
            "an event whose record keeps its personal values (it has a salt) goes through "
            "Chain.queue, not append"
        )
    return append(
        session,
        identity,
        actor,
        event.action,
        event.payload,
        device_id=event.device_id,
        personal=event.personal,
        owner=event.owner,
    )


def new_salts(count: int) -> list[str]:
    """``count`` salts of 16 random bytes (hex), drawn in one system call."""
    drawn = os.urandom(16 * count).hex()
    return [drawn[i : i + 32] for i in range(0, 32 * count, 32)]


class Chain:
    """This station's chain head, locked until the transaction ends: events appended through
    it follow each other, and a record written before its events can name them by
    `next_seq` (an intake line, its intake.line event)."""

    def __init__(self, session: Session, identity: StationIdentity) -> None:
        self._session = session
        self._identity = identity
        self._head = _locked_head(session, identity.station_id)

    @property
    def next_seq(self) -> int:
        """The sequence number the next event appended gets."""
        return self._head.last_seq + 1

    def append_many(self, actor: Actor, events: Sequence[Pending]) -> None:
        """Add many events at once: the chain, commitments and checkpoints `append` would
        write, with one head lock and bulk inserts instead of an ORM flush per event (33 s for
        a 21,000-line file before).

        Rows are built as tuples for the driver, the salts drawn in one call, the event ids
        taken before the rows are written (and only when commitments kept here need them),
        and checkpoints are rows, not ORM objects: per-row dicts, a urandom call per value, a
        SQLAlchemy select of the new ids and an ORM flush of the checkpoints cost more CPU than
        the hashing (issue 19). The bytes, hashes, salts (the same random stream, drawn in the
        same order) and signatures are `append`'s. The rows are written a chunk at a time as
        they are built (`bulk.Background`)."""
        if not events:
            return
        with bulk.Background(self._session) as out:
            self.queue(actor, events, out)
        self._session.flush()

    def queue(self, actor: Actor, events: Sequence[Pending], writer: bulk.Background) -> None:
        """`append_many` for a caller with database work of its own under way (an import's
        lines): the events' rows go to ``writer`` after what it holds, and the head moves on.
        Nothing is written until the writer is drained; the session (whose next flush writes
        the head) must not be used before."""
        if events:
            self._build(actor, events, writer)
            self._session.add(self._head)

    def _build(self, actor: Actor, events: Sequence[Pending], out: bulk.Background) -> None:
        identity, head = self._identity, self._head
        seq, prev, at = head.last_seq, head.last_hash, iso(utcnow())
        station, operator = identity.station_id, actor.name
        fields_of = [sorted(ev.personal) if ev.personal else () for ev in events]
        # 16 random bytes per personal value kept here, as `append` draws them, in one system
        # call; the salts are their hex in the same order (field order within an event).
        kept_here = sum(len(f) for ev, f in zip(events, fields_of, strict=True) if ev.salt is None)
        salts = os.urandom(16 * kept_here).hex()
        drawn = 0
        # The commitments kept here name their event: its id is taken first, not read back.
        ids = out.reserve_ids(AuditEvent, len(events)) if kept_here else None
        event_columns = ("id", *_EVENT_COLUMNS) if ids else _EVENT_COLUMNS
        rows: list[tuple[Any, ...]] = []
        personal: list[tuple[int, int | None, str, str, str]] = []
        signed: list[tuple[int, str]] = []
        for index, (ev, fields) in enumerate(zip(events, fields_of, strict=True)):
            body: dict[str, Any] = dict(ev.payload)
            if fields:
                values = ev.personal or {}
                commitments = {}
                if ev.salt is not None:
                    commitments = kept_commitments(ev.salt, values)
                else:
                    assert ids is not None
                    for f in fields:
                        salt = salts[drawn : drawn + 32]
                        drawn += 32
                        commitments[f] = commitment(salt, values[f])
                        personal.append((ids[index], ev.owner, f, salt, values[f]))
                body["personal"] = commitments
            payload_text = canonical(body).decode("utf-8")
            seq += 1
            digest = hash_event(
                station, seq, at, operator, ev.action, ev.device_id, payload_text, prev
            )
            row = (station, seq, at, operator, ev.action, ev.device_id, payload_text, prev, digest)
            rows.append((ids[index], *row) if ids else row)
            if seq % CHECKPOINT_EVERY == 0:
                signed.append((seq, digest))
            prev = digest
            if len(rows) == _CHUNK:
                # Written while the next chunk is built.
                out.insert(AuditEvent, event_columns, rows)
                out.insert(AuditPersonal, _PERSONAL_COLUMNS, personal)
                rows, personal = [], []
        out.insert(AuditEvent, event_columns, rows)
        out.insert(AuditPersonal, _PERSONAL_COLUMNS, personal)
        # The checkpoints `append` would sign, as rows (an ORM object each cost more than the
        # signature).
        out.insert(
            AuditCheckpoint,
            _CHECKPOINT_COLUMNS,
            [_checkpoint_row(identity, at_seq, digest) for at_seq, digest in signed],
        )
        head.last_seq, head.last_hash = seq, prev


# Events handed to the writer at a time: small enough that writing starts early, large enough
# that a chunk is many statements' worth.
_CHUNK = 2500


def append_many(
    session: Session, identity: StationIdentity, actor: Actor, events: Sequence[Pending]
) -> None:
    """`Chain.append_many` on this station's chain."""
    Chain(session, identity).append_many(actor, events)


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
