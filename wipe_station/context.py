"""Opening a station: its home, identity and database, migrated and registered, ready to use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session, select

from wipe_station.audit import log as audit
from wipe_station.db import migrate
from wipe_station.db.engine import (
    describe_operational_error,
    error_kind,
    make_engine,
    session_scope,
)
from wipe_station.db.models import Station
from wipe_station.db.upsert import insert_ignore
from wipe_station.errors import DatabaseUnavailable, NoStation, StationError
from wipe_station.identity import StationIdentity, load_or_create
from wipe_station.identity import exists as identity_exists
from wipe_station.numbering import LEDGER_FILE, NumberLedger, resume_after_ledger
from wipe_station.paths import (
    home_path,
    keys_dir,
    private_database,
    resolve_db_url,
    sqlite_path,
    station_home,
)
from wipe_station.timeutil import utcnow


def as_unavailable(exc: DatabaseError, url: str) -> DatabaseUnavailable | None:
    """A database error as the one line that says what happened, or None for an error that is
    not about the database's availability (a unique constraint's refusal, say)."""
    kind, transient = error_kind(exc)
    if not isinstance(exc, OperationalError) and kind != "damaged":
        return None
    return DatabaseUnavailable(
        describe_operational_error(exc, url),
        kind,
        transient,
        bool(getattr(exc, "at_commit", False)),
    )


@dataclass
class StationContext:
    home: Path
    db_url: str
    engine: Engine
    identity: StationIdentity
    # The transaction a `group` on this thread holds open, if any.
    _group: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    @property
    def station_id(self) -> str:
        return self.identity.station_id

    @property
    def keys_dir(self) -> Path:
        return keys_dir(self.home)

    @property
    def ledger(self) -> NumberLedger:
        """The home's record of the certificate numbers given out (numbering.py)."""
        return NumberLedger(self.home / LEDGER_FILE, self.station_id)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction; database errors become one-line messages. Inside a `group` on this
        thread, a savepoint of the group's transaction instead: undone alone if it fails."""
        shared: Session | None = getattr(self._group, "session", None)
        try:
            if shared is not None:
                with shared.begin_nested():
                    yield shared
                return
            with session_scope(self.engine) as session:
                yield session
        except DatabaseError as exc:
            unavailable = as_unavailable(exc, self.db_url)
            if unavailable is None:
                raise  # a constraint's refusal and the like: the caller's to handle
            raise unavailable from exc

    @contextmanager
    def group(self) -> Iterator[None]:
        """One transaction, one commit (one wait for the disk) for several units of work on this
        thread, each `session` in it a savepoint: what succeeded is committed together, what
        failed is undone alone. Nothing is committed until the group is: a unit's caller may
        learn of its success only when the group has left."""
        if getattr(self._group, "session", None) is not None:
            yield  # already in a group: its transaction is this one
            return
        with self.session() as session:
            self._group.session = session
            try:
                yield
            finally:
                self._group.session = None

    def close(self) -> None:
        """Sign the chain head so every event written so far is covered by a checkpoint."""
        try:
            with self.session() as session:
                audit.checkpoint_head(session, self.identity)
        finally:
            self.engine.dispose()


def open_station(
    home: Path | None = None,
    db_url: str | None = None,
    *,
    create: bool = True,
    start_over: bool = False,
) -> StationContext:
    """Open the station in ``home``. With ``create=False`` a home without a station is refused
    (``NoStation``) instead of getting a new identity: a second station made by accident signs
    with a key no auditor was given.

    A station that has used a database (its number ledger says so) is refused a database that
    does not hold it (missing, empty, another station's): a new one would issue its certificate
    numbers again. ``start_over`` (the admin's `station start-over`) registers it in such a
    database, numbering on after the ledger."""
    if not create:
        where = home_path(home)
        if not identity_exists(where):
            raise NoStation(where)
    home = station_home(home)
    identity = load_or_create(home)
    url = resolve_db_url(db_url, home)
    ledger = NumberLedger(home / LEDGER_FILE, identity.station_id)
    file = sqlite_path(url)
    if file is not None and not file.exists() and ledger.exists() and not start_over:
        # Refused before SQLite makes an empty file in its place.
        raise _lost_database(home, identity.station_id, url, "missing")
    try:
        private_database(url)  # before SQLite creates it with the umask's mode
    except OSError as exc:
        raise StationError(f"cannot open the database file: {exc.strerror}") from exc
    engine = make_engine(url)
    ctx = StationContext(home=home, db_url=url, engine=engine, identity=identity)
    try:
        migrate.upgrade(engine)
        _register(ctx, start_over=start_over)
    except DatabaseError as exc:
        engine.dispose()
        unavailable = as_unavailable(exc, url)
        if unavailable is None:
            raise
        raise unavailable from exc
    except BaseException:
        engine.dispose()
        raise
    return ctx


class LostDatabase(StationError):
    """The home's station has issued certificates, but the database does not hold it."""


def _lost_database(home: Path, station_id: str, url: str, what: str) -> LostDatabase:
    from sqlalchemy.engine import make_url

    safe = make_url(url).render_as_string(hide_password=True)
    return LostDatabase(
        f"{home} is station {station_id}, which has issued certificates, but its database "
        f"{safe} is {what}. Starting an empty one would issue the same certificate numbers "
        "again. Restore the database from its backup (station.db with its -wal file, or the "
        "depot's PostgreSQL dump); only if it is lost for good, an admin starts over with "
        "`wipe-station station start-over --confirm "
        f"{station_id}` (the numbers already given out stay retired)."
    )


def _register(ctx: StationContext, *, start_over: bool = False) -> None:
    ledger = ctx.ledger
    with ctx.session() as session:
        row = session.get(Station, ctx.station_id)
        if row is None and ledger.exists() and not start_over:
            others = session.exec(select(Station.id).limit(1)).first()
            what = "another station's" if others is not None else "empty"
            raise _lost_database(ctx.home, ctx.station_id, ctx.db_url, what)
        if row is None:
            insert_ignore(
                session,
                Station,
                id=ctx.station_id,
                name=ctx.identity.name,
                public_key_pem=ctx.identity.public_key_pem(),
                created_at=utcnow(),
            )
            audit.append(
                session,
                ctx.identity,
                audit.SYSTEM_ACTOR,
                "station.registered",
                {"station": ctx.station_id, "public_key": ctx.identity.public_key_pem()},
            )
            if start_over:
                audit.append(
                    session,
                    ctx.identity,
                    audit.SYSTEM_ACTOR,
                    "station.started_over",
                    {"retired_up_to": ledger.read()},
                )
        elif row.public_key_pem.strip() != ctx.identity.public_key_pem().strip():
            raise StationError(
                f"station id {ctx.station_id} is registered in this database with another key; "
                "two stations must not share a home or a station id"
            )
        raised = resume_after_ledger(session, ctx.station_id, ledger)
        if raised and row is not None:
            # The database is behind the numbers given out (restored from an older backup).
            audit.append(
                session,
                ctx.identity,
                audit.SYSTEM_ACTOR,
                "numbering.resumed",
                {"after": raised},
            )
    ledger.touch()  # from now on, a missing database is noticed


def is_brand_new(ctx: StationContext) -> bool:
    """A station that has done nothing yet: no operators, and its audit chain holds only its
    registration (or a start-over). Only such a station takes its first admin without a
    sign-in: a database emptied or replaced under a working station is no way in."""
    from sqlmodel import col, func

    from wipe_station.db.models import AuditEvent, Operator

    with ctx.session() as session:
        if session.exec(select(func.count()).select_from(Operator)).one():
            return False
        other = session.exec(
            select(AuditEvent.id)
            .where(AuditEvent.station_id == ctx.station_id)
            .where(col(AuditEvent.action).not_in(["station.registered", "station.started_over"]))
            .limit(1)
        ).first()
        return other is None
