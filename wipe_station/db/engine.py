"""Opening the database: SQLite (WAL, foreign keys, serialised writers) or PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlmodel import Session, create_engine

from wipe_station.db import lengths
from wipe_station.errors import StationError

SQLITE_BUSY_MS = 15_000

# Field lengths as models.py documents them, checked before every flush: SQLite and
# PostgreSQL accept the same data (db/lengths.py).
event.listen(Session, "before_flush", lengths.before_flush)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and cannot do BEGIN IMMEDIATE; switch it off
    # and issue BEGIN ourselves so every transaction takes the write lock up front and two
    # processes never deadlock upgrading read locks.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA foreign_keys = ON")
    # FULL: a commit reaches the disk before it returns. With NORMAL a power cut may roll back
    # the last commits, and a certificate already printed would have no record behind it.
    # Measured cost (issue 19): about 5 ms of wall time per commit on the records thread, six
    # commits a phone.
    cur.execute("PRAGMA synchronous = FULL")
    # Anonymised personal data must not linger in free pages.
    cur.execute("PRAGMA secure_delete = ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """``hide_parameters``: a failed statement's message never carries its values (an
    operator's PIN hash, a pair record), so no traceback or log line can show them."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StationError(f"not a database URL: {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_MS / 1000}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(
            parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5}, hide_parameters=True
        )
    else:
        backend = parsed.get_backend_name()
        raise StationError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return engine


# What a driver's message says happened, in the words a technician can act on. The first match
# wins; ``transient``: waiting may cure it, so the engine's writes are tried again (for a while).
_KINDS: list[tuple[tuple[str, ...], str, bool]] = [
    (("database is locked", "database table is locked"), "locked", True),
    (("deadlock detected",), "deadlock", True),
    (("could not serialize access",), "deadlock", True),
    (
        ("database or disk is full", "No space left on device", "could not extend file"),
        "full",
        False,
    ),
    (("database disk image is malformed", "file is not a database"), "damaged", False),
    (("unable to open database file",), "unopenable", False),
    (("Connection refused", "connection refused"), "refused", True),
    (
        (
            "server closed the connection",
            "terminating connection",
            "connection failed",
            "connection is closed",
            "consuming input failed",
            "could not receive data",
            "the database system is starting up",
            "the database system is shutting down",
            "timeout expired",
        ),
        "lost",
        True,
    ),
]


def error_kind(exc: BaseException) -> tuple[str, bool]:
    """(kind, transient) of a database error: locked, deadlock, full, damaged, unopenable,
    refused, lost, or other."""
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    for needles, kind, transient in _KINDS:
        if any(n in text for n in needles):
            return kind, transient
    return "other", False


def describe_operational_error(exc: DatabaseError, url: str) -> str:
    """Turn a driver error into one line a technician can act on, saying what happened."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    safe_url = make_url(url).render_as_string(hide_password=True)
    kind, _ = error_kind(exc)
    if kind == "locked":
        waited = SQLITE_BUSY_MS // 1000
        return f"the database is locked by another program (waited {waited} s): {safe_url}"
    if kind == "unopenable":
        return f"cannot open the database file: {safe_url}"
    said = {
        "deadlock": "two transactions waited for each other (deadlock); this one was undone",
        "full": "the disk is full: nothing more can be written",
        "damaged": "the database file is damaged: restore it from its backup",
        "refused": "refuses connections (is the server running?)",
        "lost": "lost the connection to the server",
    }.get(kind)
    if said is not None:
        return f"database {safe_url}: {said}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"database {safe_url} does not answer: {first}"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        try:
            session.commit()
        except BaseException as exc:
            # A commit whose answer was lost may have happened: whoever would try the work
            # again must not (records_thread.py).
            exc.at_commit = True  # type: ignore[attr-defined]
            session.rollback()
            raise
