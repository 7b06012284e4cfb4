"""Reading the chain out of the database, and the offline bundle format."""

from __future__ import annotations

import functools
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from wipe_station.audit.chain import commitment, hash_event, kept_commitments
from wipe_station.audit.verify import (
    ChainReport,
    CheckpointRecord,
    EventRecord,
    Walker,
    verify_chain,
    verify_walk,
)
from wipe_station.audit.walk import WalkState, walk_events
from wipe_station.audit.worker import page_rows
from wipe_station.db.models import (
    LINE_PERSONAL_VALUES,
    AuditCheckpoint,
    AuditEvent,
    AuditHead,
    AuditPersonal,
    IntakeLine,
    Station,
)
from wipe_station.errors import StationError
from wipe_station.identity import StationIdentity, load_public_key
from wipe_station.listings import stream
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


# Rows a page of events holds when verifying: small enough that a page is still in the CPU's
# cache when it is hashed, large enough that paging costs little (200 queries a million).
_PAGE = 5000


def iter_events(conn: Connection, station_id: str, batch: int = 20000) -> Iterator[EventRecord]:
    """Stream a station's events in order, a page at a time (keyset paging: constant memory).

    Runs on the caller's connection: on SQLite a second connection would wait for our own lock.
    """
    for row in _event_rows(conn, station_id, batch=batch):
        yield EventRecord._make(row)


def _statement(
    conn: Connection, *, bounded: bool, batch: int = _PAGE
) -> tuple[str, Sequence[str] | None, dict[str, Any]]:
    """The keyset-paged select of a station's events, compiled once by SQLAlchemy for this
    database and run on the driver's own cursor (here, or in a worker process): a million rows
    through SQLAlchemy's Row objects cost more than hashing them. Returns the SQL, the order
    of its parameters (None for named paramstyles) and the parameters' fixed values."""
    stmt = select(*_COLS).where(
        AuditEvent.station_id == bindparam("station"), AuditEvent.seq > bindparam("last")
    )
    if bounded:
        stmt = stmt.where(AuditEvent.seq <= bindparam("upto"))
    compiled = stmt.order_by(AuditEvent.seq).limit(batch).compile(dialect=conn.dialect)
    return str(compiled), compiled.positiontup, dict(compiled.params)


def _event_rows(
    conn: Connection,
    station_id: str,
    after: int = 0,
    upto: int | None = None,
    batch: int = _PAGE,
) -> Iterator[tuple[Any, ...]]:
    """The events with ``after < seq <= upto`` (no upper bound for None) as plain tuples."""
    sql, names, params = _statement(conn, bounded=upto is not None, batch=batch)
    params.update(station=station_id, upto=upto)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        yield from page_rows(cursor, sql, names, params, after)
    finally:
        cursor.close()


# Below this many events a worker process costs more (~0.1 s to start) than it saves.
PARALLEL_FROM = 100_000
_MAX_PROCESSES = 4
# Isolated (-I: no PYTHON* variables, no current folder on the path), then on this process's
# own import path, given as the last argument: the worker finds the modules this process found,
# installed or run from a checkout, and nothing else.
_WORKER_COMMAND = [
    sys.executable,
    "-I",
    "-c",
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from wipe_station.audit.worker import main; main()",
]


def _walk_database(
    conn: Connection,
    station_id: str,
    workers: int | None,
    heads: Mapping[int, str],
    state: WalkState,
) -> str | None:
    """Walk a station's chain as one pass in order would, the later ranges in worker
    processes: this process walks the first range while they walk theirs, then takes their
    answers in order; a range whose answer does not fit (a problem in it, a broken link to the
    range before, a count or last hash that differs from this transaction's) is walked again
    here, from where the range before ended, so the report names what one pass would."""
    last = conn.execute(
        select(func.max(AuditEvent.seq)).where(AuditEvent.station_id == station_id)
    ).scalar()
    last = last or 0
    if workers is None:
        workers = _spare_cores() if last >= PARALLEL_FROM else 0
    connect = _worker_connect(conn) if workers > 0 and last > workers else None
    if connect is None:
        return walk_events(station_id, _event_rows(conn, station_id), heads, state)
    parts = workers + 1
    (_, first_upto), *ranges = itertools.pairwise(last * i // parts for i in range(parts + 1))
    sql, names, params = _statement(conn, bounded=True)
    with ThreadPoolExecutor(workers, thread_name_prefix="audit-worker-io") as io:
        helpers = [
            _Helper(
                io,
                {
                    **connect,
                    "sql": sql,
                    "names": names,
                    "params": {**params, "station": station_id, "upto": upto},
                    "station": station_id,
                    "after": after,
                    "heads": {str(s): h for s, h in heads.items() if after < s <= upto},
                },
            )
            for after, upto in ranges
        ]
        try:
            problem = walk_events(
                station_id, _event_rows(conn, station_id, upto=first_upto), heads, state
            )
            for helper, (after, upto) in zip(helpers, ranges, strict=True):
                if problem is not None:
                    return problem
                if not helper.take(conn, station_id, after, upto, state):
                    problem = walk_events(
                        station_id,
                        _event_rows(conn, station_id, after=after, upto=upto),
                        heads,
                        state,
                    )
        finally:
            for helper in helpers:
                helper.stop()
    if problem is not None:
        return problem
    # Events appended since `last` was read (PostgreSQL lets other stations commit meanwhile):
    # a single pass would have read them too.
    return walk_events(station_id, _event_rows(conn, station_id, after=last), heads, state)


def _walk_after(
    conn: Connection, station_id: str, after: int, heads: Mapping[int, str], state: WalkState
) -> str | None:
    """A resumed walk: the events after ``after`` in one pass (those since the last
    verification: too few to be worth worker processes)."""
    return walk_events(station_id, _event_rows(conn, station_id, after), heads, state)


def _spare_cores() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, _MAX_PROCESSES) - 1


def _worker_connect(conn: Connection) -> dict[str, Any] | None:
    """How a worker opens this database with the bare driver; None where it cannot (an
    in-memory or URI-named SQLite database, a driver the worker does not know)."""
    dialect = conn.dialect
    args, kwargs = dialect.create_connect_args(conn.engine.url)
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        path = args[0] if args else ""
        if kwargs.get("uri") or not path or path == ":memory:" or not Path(path).is_file():
            return None
        return {"driver": "sqlite", "connect": [[path], {}]}
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        # The connection parameters from the URL; not the adapters object SQLAlchemy adds.
        plain = {k: v for k, v in kwargs.items() if isinstance(v, str | int)}
        return {"driver": "postgresql", "connect": [list(args), plain]}
    return None


class _Helper:
    """One worker process walking one range; `take` folds its answer into the walk's state."""

    def __init__(self, io: ThreadPoolExecutor, request: dict[str, Any]) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._answer: Future[tuple[bytes, bytes]] | None = None
        try:
            self._proc = subprocess.Popen(
                [*_WORKER_COMMAND, json.dumps(sys.path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # a failed worker's range is walked here instead
            )
        except OSError:
            return  # no process to be had: the range is walked here
        # From a thread: the request (the range's checkpoints) may be more than a pipe holds,
        # and the worker reads it only once started.
        self._answer = io.submit(self._proc.communicate, json.dumps(request).encode())

    def take(
        self, conn: Connection, station_id: str, after: int, upto: int, state: WalkState
    ) -> bool:
        """Fold the range's answer into ``state`` if it is what walking the range here, from
        ``state``, would find with no problem; False (``state`` untouched) otherwise."""
        answer = None
        if self._proc is not None and self._answer is not None:
            try:
                out, _ = self._answer.result()
                answer = json.loads(out) if self._proc.returncode == 0 else None
            except (OSError, ValueError):
                pass
        if not answer or answer["first"] is None or answer["problem"] is not None:
            return False
        expected, prev, count, signed, last_signed = answer["state"]
        if state.expected != after + 1 or answer["first"] != [after + 1, state.prev]:
            return False  # the range before ended early, or this one does not link to it
        # The worker read the committed log; this transaction must see the same range.
        mine = conn.execute(
            select(func.count(), func.max(AuditEvent.seq)).where(
                AuditEvent.station_id == station_id, AuditEvent.seq > after, AuditEvent.seq <= upto
            )
        ).one()
        stored = conn.execute(
            select(AuditEvent.hash).where(
                AuditEvent.station_id == station_id, AuditEvent.seq == expected - 1
            )
        ).scalar()
        if tuple(mine) != (count, expected - 1) or stored != prev:
            return False
        state.expected, state.prev = expected, prev
        state.count += count
        if signed:
            state.signed += signed
            state.last_signed = last_signed
        return True

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        if self._answer is not None:
            self._answer.exception()  # communicate returns once the process is gone


def load_checkpoints(
    session: Session, station_id: str, from_seq: int = 0
) -> list[CheckpointRecord]:
    """A station's checkpoints in order, those signing event ``from_seq`` or later."""
    # Columns, not ORM objects: a million-event chain has 15,625 checkpoints.
    rows = session.execute(
        select(
            AuditCheckpoint.station_id,
            AuditCheckpoint.seq,
            AuditCheckpoint.head_hash,
            AuditCheckpoint.at,
            AuditCheckpoint.signature,
        )
        .where(AuditCheckpoint.station_id == station_id, AuditCheckpoint.seq >= from_seq)
        .order_by(AuditCheckpoint.seq)  # type: ignore[arg-type]
    ).all()
    return [CheckpointRecord._make(r) for r in rows]


@dataclass(frozen=True)
class Resume:
    """A signed checkpoint an earlier verification passed: the next may start after it."""

    seq: int
    head: str


def _resume_state(session: Session, station_id: str, resume: Resume | None) -> WalkState | None:
    """Where to walk from: after ``resume`` if this database still holds that checkpoint
    signing that hash (its signature is checked with the others in the walk), else None (the
    whole chain: a checkpoint that moved or went is for a full walk to explain)."""
    if resume is None or resume.seq <= 0:
        return None
    cp = session.execute(
        select(func.count()).where(
            AuditCheckpoint.station_id == station_id,
            AuditCheckpoint.seq == resume.seq,
            AuditCheckpoint.head_hash == resume.head,
        )
    ).scalar_one()
    # The event the checkpoint signs must still hash to what it signs (its contents, not only
    # its stored hash): a walk from there stands on it.
    mark = session.execute(
        select(*_COLS).where(AuditEvent.station_id == station_id, AuditEvent.seq == resume.seq)
    ).first()
    if not cp or mark is None or mark[-1] != resume.head or hash_event(*mark[:-1]) != resume.head:
        return None
    signed = session.execute(
        select(func.count(func.distinct(AuditCheckpoint.seq))).where(
            AuditCheckpoint.station_id == station_id, AuditCheckpoint.seq <= resume.seq
        )
    ).scalar_one()
    return WalkState(
        expected=resume.seq + 1,
        prev=resume.head,
        count=resume.seq,
        signed=signed,
        last_signed=resume.seq,
    )


def _check_personal(session: Session, station_id: str, after: int = 0) -> str | None:
    """Personal values still held (of events after ``after``) must match the commitments
    chained in their events; streamed, as five years hold millions of them."""
    rows = stream(
        session,
        select(
            AuditEvent.seq,
            AuditEvent.payload,
            AuditPersonal.field,
            AuditPersonal.salt,
            AuditPersonal.value,
        )
        .join(AuditPersonal, AuditPersonal.event_id == AuditEvent.id)
        .where(AuditEvent.station_id == station_id, AuditPersonal.value.is_not(None))  # type: ignore[union-attr]
        .where(AuditEvent.seq > after),
    )
    for seq, payload, field, salt, value in rows:
        chained = json.loads(payload).get("personal", {}).get(field)
        if salt is None or chained != commitment(salt, value):
            return f"event #{seq}: the stored {field} does not match what was chained"
    return _check_intake_lines(session, station_id, after)


def _check_intake_lines(session: Session, station_id: str, after: int = 0) -> str | None:
    """The intake lines whose intake.line events (of this station, after ``after``) commit to
    their values: each event must be there, be about that line, and commit to exactly the
    values the line holds, salted from its salt. A line anonymised by retention holds neither
    values nor salt, and its event's commitments can no longer be tested."""
    event = (AuditEvent.station_id == IntakeLine.audit_station) & (
        AuditEvent.seq == IntakeLine.audit_seq
    )
    rows = stream(
        session,
        select(
            IntakeLine.id,
            IntakeLine.audit_seq,
            IntakeLine.personal_salt,
            *(getattr(IntakeLine, f) for f in LINE_PERSONAL_VALUES),
            AuditEvent.action,
            AuditEvent.payload,
        )
        .outerjoin(AuditEvent, event)
        .where(IntakeLine.audit_station == station_id, col(IntakeLine.audit_seq) > after)
        .order_by(col(IntakeLine.audit_seq)),
    )
    for line_id, seq, salt, *values, action, payload in rows:
        if action is None:
            return f"intake line {line_id} names event #{seq}, which the chain does not hold"
        body = json.loads(payload)
        if action != "intake.line" or body.get("intake_line") != line_id:
            return f"intake line {line_id} names event #{seq}, which is not its intake.line event"
        held = {f: v for f, v in zip(LINE_PERSONAL_VALUES, values, strict=True) if v is not None}
        chained = body.get("personal", {})
        if not held and salt is None:
            continue  # nothing personal, or anonymised: nothing left to test
        if salt is None or chained != kept_commitments(salt, held):
            return (
                f"event #{seq}: the personal values of intake line {line_id} do not match what "
                "was chained"
            )
    return None


def verify_database(
    session: Session,
    identity: StationIdentity,
    *,
    workers: int | None = None,
    resume: Mapping[str, Resume] | None = None,
    only: str | None = None,
) -> list[ChainReport]:
    """Verify every station's chain in this database; this station's with its own key file.

    ``workers``: how many other processes walk ranges of a chain beside this one; None picks
    one per spare core for a chain of PARALLEL_FROM events or more, and none below. Workers
    read the committed log on connections of their own, so they are used only when this call
    begins the session's transaction (as `audit verify` does): a transaction that ran before
    may hold writes of its own, which only this connection sees. What a worker answers is
    still checked against this transaction (its range's count and last hash), and a range that
    differs, or whose worker fails, is walked here instead.

    ``resume``: by station, a signed checkpoint an earlier verification passed; that station's
    chain is walked from just after it (if the database still holds it as it was), and
    tampering before it is left to a full verification (`audit verify --full`).

    ``only``: walk that station's chain alone (start-up judges its own chain, not a depot's)."""
    if session.in_transaction():
        workers = 0
    reports = []
    query = select(Station).order_by(Station.id)
    if only is not None:
        query = query.where(Station.id == only)
    stations = session.exec(query).scalars().all()  # type: ignore[call-overload]
    for station in stations:
        key = (
            identity.public_key
            if station.id == identity.station_id
            else load_public_key(station.public_key_pem, f"registered key of station {station.id}")
        )
        conn = session.connection()
        start = _resume_state(session, station.id, (resume or {}).get(station.id))
        after = start.count if start is not None else 0
        walk: Walker = (
            functools.partial(_walk_database, conn, station.id, workers)
            if start is None
            else functools.partial(_walk_after, conn, station.id, after)
        )
        report = verify_walk(
            station.id, walk, load_checkpoints(session, station.id, after), key, start
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
            elif problem := _check_personal(session, station.id, after):
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
