"""Reading the chain out of the database, and the offline bundle format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from wipe_station.audit.chain import commitment
from wipe_station.audit.verify import ChainReport, CheckpointRecord, EventRecord, verify_chain
from wipe_station.db.models import AuditCheckpoint, AuditEvent, AuditHead, AuditPersonal, Station
from wipe_station.errors import StationError
from wipe_station.identity import StationIdentity, load_public_key
from wipe_station.timeutil import iso, utcnow

BUNDLE_FORMAT = "wipe-station-audit-bundle"
_COLS = (
    AuditEvent.station_id,
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.operator,
    AuditEvent.action,
    AuditEvent.device_id,
    AuditEvent.payload,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


def iter_events(conn: Connection, station_id: str, batch: int = 20000) -> Iterator[EventRecord]:
    """Stream a station's events in order, a page at a time (keyset paging: constant memory).

    Runs on the caller's connection: on SQLite a second connection would wait for our own lock.
    The statement is compiled once by SQLAlchemy and run on the driver's own cursor: a million
    rows through SQLAlchemy's Row objects cost more than hashing them.
    """
    stmt = (
        select(*_COLS)
        .where(AuditEvent.station_id == bindparam("station"), AuditEvent.seq > bindparam("last"))
        .order_by(AuditEvent.seq)
        .limit(batch)
    )
    compiled = stmt.compile(dialect=conn.dialect)
    sql = str(compiled)
    names = compiled.positiontup  # None for named paramstyles
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        last = 0
        while True:
            values = {**compiled.params, "station": station_id, "last": last}
            params: Any = values if names is None else tuple(values[n] for n in names)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if not rows:
                return
            for row in rows:
                yield EventRecord._make(row)
            last = rows[-1][1]
    finally:
        cursor.close()


def load_checkpoints(session: Session, station_id: str) -> list[CheckpointRecord]:
    # Columns, not ORM objects: a million-event chain has 15,625 checkpoints.
    rows = session.execute(
        select(
            AuditCheckpoint.station_id,
            AuditCheckpoint.seq,
            AuditCheckpoint.head_hash,
            AuditCheckpoint.at,
            AuditCheckpoint.signature,
        )
        .where(AuditCheckpoint.station_id == station_id)
        .order_by(AuditCheckpoint.seq)  # type: ignore[arg-type]
    ).all()
    return [CheckpointRecord._make(r) for r in rows]


def _check_personal(session: Session, station_id: str) -> str | None:
    """Personal values still held must match the commitments chained in their events."""
    rows = session.execute(
        select(
            AuditEvent.seq,
            AuditEvent.payload,
            AuditPersonal.field,
            AuditPersonal.salt,
            AuditPersonal.value,
        )
        .join(AuditPersonal, AuditPersonal.event_id == AuditEvent.id)
        .where(AuditEvent.station_id == station_id, AuditPersonal.value.is_not(None))  # type: ignore[union-attr]
    ).all()
    for seq, payload, field, salt, value in rows:
        chained = json.loads(payload).get("personal", {}).get(field)
        if salt is None or chained != commitment(salt, value):
            return f"event #{seq}: the stored {field} does not match what was chained"
    return None


def verify_database(session: Session, identity: StationIdentity) -> list[ChainReport]:
    """Verify every station's chain in this database; this station's with its own key file."""
    reports = []
    stations = session.exec(select(Station).order_by(Station.id)).scalars().all()  # type: ignore[call-overload]
    for station in stations:
        key = (
            identity.public_key
            if station.id == identity.station_id
            else load_public_key(station.public_key_pem, f"registered key of station {station.id}")
        )
        report = verify_chain(
            station.id,
            iter_events(session.connection(), station.id),
            load_checkpoints(session, station.id),
            key,
        )
        if report.ok:
            head = session.get(AuditHead, station.id)
            if head is not None and head.last_seq != report.events:
                report = ChainReport(
                    station.id,
                    report.events,
                    report.checkpoints,
                    report.last_signed_seq,
                    f"the chain head says #{head.last_seq} but #{report.events} is the last event: "
                    "events were deleted",
                )
            elif problem := _check_personal(session, station.id):
                report = ChainReport(
                    station.id, report.events, report.checkpoints, report.last_signed_seq, problem
                )
        reports.append(report)
    return reports


def export_bundle(session: Session, station_id: str, public_key_pem: str, out: Path) -> int:
    """Write a self-contained JSON-lines bundle: header, checkpoints, then events in order.

    Personal values never leave the station: events carry only their commitments.
    """
    count = 0
    tmp = out.with_name(out.name + ".partial")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            header: dict[str, Any] = {
                "format": BUNDLE_FORMAT,
                "version": 1,
                "station": station_id,
                "public_key_pem": public_key_pem,
                "exported_at": iso(utcnow()),
            }
            fh.write(json.dumps(header) + "\n")
            for cp in load_checkpoints(session, station_id):
                fh.write(json.dumps(_as_dict("checkpoint", cp)) + "\n")
            for ev in iter_events(session.connection(), station_id):
                fh.write(json.dumps(_as_dict("event", ev)) + "\n")
                count += 1
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StationError(f"cannot write {out}: {exc.strerror}") from exc
    return count


def _as_dict(kind: str, rec: EventRecord | CheckpointRecord) -> dict[str, Any]:
    return {"type": kind, **rec._asdict()}


class _BundleReader:
    """Streams a bundle: checkpoints are read up front (few), events one line at a time (many)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fh = path.open(encoding="utf-8")
        except OSError as exc:
            raise StationError(f"cannot read bundle {path}: {exc.strerror}") from exc
        self._lineno = 1
        try:
            header = json.loads(self._fh.readline())
        except ValueError as exc:
            raise StationError(f"{path} is not an audit bundle") from exc
        if not isinstance(header, dict) or header.get("format") != BUNDLE_FORMAT:
            raise StationError(f"{path} is not an audit bundle")
        self.station = str(header.get("station"))
        self.checkpoints: list[CheckpointRecord] = []
        self._pending: EventRecord | None = None
        for kind, rec in self._records():
            if kind == "checkpoint":
                self.checkpoints.append(rec)  # type: ignore[arg-type]
            else:
                self._pending = rec  # type: ignore[assignment]
                break

    def _records(self) -> Iterator[tuple[str, EventRecord | CheckpointRecord]]:
        for line in self._fh:
            self._lineno += 1
            try:
                rec = json.loads(line)
                kind = rec.pop("type")
                if kind == "event":
                    yield kind, EventRecord(**rec)
                elif kind == "checkpoint":
                    yield kind, CheckpointRecord(**rec)
                else:
                    raise ValueError(kind)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise StationError(
                    f"{self.path}: line {self._lineno} is not a valid bundle record"
                ) from exc

    def events(self) -> Iterator[EventRecord]:
        if self._pending is not None:
            yield self._pending
        for kind, rec in self._records():
            if kind != "event":
                raise StationError(f"{self.path}: line {self._lineno}: checkpoint after events")
            yield rec  # type: ignore[misc]

    def close(self) -> None:
        self._fh.close()


def verify_bundle(path: Path, public_key_pem: bytes) -> ChainReport:
    """Verify an exported bundle against a public key the auditor trusts (not the one inside)."""
    key = load_public_key(public_key_pem)
    reader = _BundleReader(path)
    try:
        station = reader.station
        if any(c.station != station for c in reader.checkpoints):
            return ChainReport(station, 0, 0, 0, "the bundle mixes records of several stations")
        report = verify_chain(station, reader.events(), reader.checkpoints, key)
    finally:
        reader.close()
    if report.ok and report.unsigned_tail:
        return ChainReport(
            station,
            report.events,
            report.checkpoints,
            report.last_signed_seq,
            f"the last {report.unsigned_tail} events are not covered by a signed checkpoint",
        )
    return report
