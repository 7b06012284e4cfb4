"""Bulk inserts and look-ups for the few places that handle thousands of rows at once (intake
files and their audit events), with the same field-length check every ORM flush gets
(db/lengths.py): a Core or driver insert passes no ORM flush, so the check runs here.

The statements run on the driver's own cursor inside the session's transaction: SQLAlchemy's
per-row and per-parameter handling cost more than the database work (issue 19: of a 21,000-line
intake file, more CPU than its inserts themselves, and 0.4 s for its duplicate look-up)."""

from __future__ import annotations

import gc
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, Executable, any_, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlmodel import Session

from wipe_station.db import lengths

# A condition on a column for `select_in`'s builder: "the column is one of the values".
Match = Callable[[Any], Any]

# Placeholders for a statement written here, by the driver's parameter style. psycopg's
# "pyformat" style also takes positional %s.
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block: for building tens of thousands of rows,
    where each full collection walks the whole heap and finds nothing to free. Reference
    counting still frees everything; the collector runs again afterwards (unless it was
    already off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_columns(model: type[Any], keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Raise lengths.TooLong for the first text value longer than its field, in rows given as
    tuples in the order of ``keys``."""
    table = model.__table__
    for index, key in enumerate(keys):
        limit = lengths.max_length(model, key)
        if limit is None:
            continue
        column = itemgetter(index)
        try:
            # C-level passes: None (and "", 0) dropped, the rest measured.
            longest = max(map(len, filter(None, map(column, rows))), default=0)
        except TypeError:  # something without a length in a text column: as an ORM flush,
            texts = [v for row in rows if isinstance(v := row[index], str)]  # measure text only
            longest = max(map(len, texts), default=0)
        if longest > limit:
            raise lengths.TooLong(
                f"{table.name}.{key} is at most {limit} characters (this value has {longest})"
            )


def _cursor(session: Session) -> Any:
    return session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _dialect(session: Session) -> Dialect:
    return session.get_bind().dialect


@dataclass(frozen=True)
class _Target:
    """The driver's connection of a session's transaction and its dialect: what the writes
    written here need, and all a `Background` writer's thread may touch."""

    dialect: Dialect
    dbapi: Any

    @classmethod
    def of(cls, session: Session) -> _Target:
        dbapi = session.connection().connection.dbapi_connection  # begins the transaction
        return cls(_dialect(session), dbapi)


def insert_rows(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]], key: str
) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) in multi-row statements; returns their ids in
    the same order.

    ``key`` names a column unique among ``rows``: the ids come back paired with it, because
    multi-row RETURNING promises no order."""
    if not rows:
        return []
    keys = list(rows[0])
    pick = itemgetter(*keys)
    values = [pick(row) for row in rows] if len(keys) > 1 else [(pick(row),) for row in rows]
    return insert_tuples(session, model, keys, values, key=key)


def insert_tuples(
    session: Session,
    model: type[Any],
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
    key: str,
) -> list[int]:
    """`insert_rows` for rows given as tuples in the order of ``keys``: what the caller builds
    directly when it writes tens of thousands of rows."""
    if not rows:
        return []
    check_columns(model, keys, rows)
    table = model.__table__
    returned = _insert_many(_Target.of(session), model, keys, rows, returning=key)
    if returned is None:
        return _insert_core(session, table, keys, rows, key)
    ids = dict((k, i) for i, k in returned)
    key_index = list(keys).index(key)
    return [ids[row[key_index]] for row in rows]


def insert_plain_tuples(
    session: Session, model: type[Any], keys: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows given as tuples in the order of ``keys``, without asking for their ids
    (the audit log's commitments and checkpoints)."""
    if not rows:
        return
    check_columns(model, keys, rows)
    if _insert_many(_Target.of(session), model, keys, rows, returning=None) is None:
        session.execute(insert(model.__table__), [dict(zip(keys, r, strict=True)) for r in rows])


def _insert_many(
    target: _Target,
    model: type[Any],
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: str | None,
) -> list[tuple[Any, Any]] | None:
    """Multi-row INSERT statements written here and run on the driver's cursor; with
    ``returning``, the (id, returning column) pairs of the new rows. SQLAlchemy's per-row
    parameter handling cost more than the database work (issue 19), and many rows to a
    statement beat the driver's executemany (one statement run per row) about two to one on
    SQLite. None, with nothing written, for what only a Core insert gets right: a driver
    parameter style not handled here, or a left-out column with a Python-side default."""
    table = model.__table__
    dialect = target.dialect
    placeholder = _PLACEHOLDER.get(dialect.paramstyle)
    columns = [table.c[k] for k in keys]
    if not _writes_here(table, keys, dialect):
        return None
    # The bind processing a Core insert does (a UTC datetime to SQLite's naive text, say),
    # through the same public per-dialect processors; a value repeated from the row before
    # (an import's one timestamp) is processed once.
    processors = [
        (i, p)
        for i, c in enumerate(columns)
        if (p := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    if processors:
        rows = _processed(rows, processors)
    if dialect.name == "postgresql":
        return _copy_in(target, table, keys, rows, returning)
    width = len(keys)
    # As many rows to a statement as SQLAlchemy's own multi-row inserts put in one.
    per_statement = max(
        1, min(dialect.insertmanyvalues_page_size, dialect.insertmanyvalues_max_parameters // width)
    )
    prep = dialect.identifier_preparer
    head = (
        f"INSERT INTO {prep.format_table(table)} "
        f"({', '.join(prep.format_column(c) for c in columns)}) VALUES "
    )
    tail = ""
    if returning is not None:
        tail = (
            f" RETURNING {prep.format_column(table.c.id)}, {prep.format_column(table.c[returning])}"
        )
    one = "(" + ", ".join([placeholder] * width) + ")"
    full = head + ", ".join([one] * per_statement) + tail  # the same text: one prepared statement
    out: list[tuple[Any, Any]] = []
    cursor = target.dbapi.cursor()
    try:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = (
                full if len(chunk) == per_statement else head + ", ".join([one] * len(chunk)) + tail
            )
            cursor.execute(sql, [v for row in chunk for v in row])
            if returning is not None:
                out.extend((i, k) for i, k in cursor.fetchall())
    finally:
        cursor.close()
    return out


def _copy_in(
    target: _Target,
    table: Any,
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: str | None,
) -> list[tuple[Any, Any]]:
    """PostgreSQL: the rows through ``COPY … FROM STDIN``, about three times the rate of
    multi-row INSERTs for an import's 20,000 lines and their audit events (issue 30). COPY
    returns nothing, so with ``returning`` the ids are taken first (`_reserve`) and written
    with the rows."""
    prep = target.dialect.identifier_preparer
    names = list(keys)
    out: list[tuple[Any, Any]] = []
    cursor = target.dbapi.cursor()
    try:
        if returning is not None:
            ids = _reserve(target, table, len(rows))
            at = names.index(returning)
            out = [(i, row[at]) for i, row in zip(ids, rows, strict=True)]
            rows = [(i, *row) for i, row in zip(ids, rows, strict=True)]
            names = ["id", *names]
        columns = ", ".join(prep.format_column(table.c[k]) for k in names)
        with cursor.copy(f"COPY {prep.format_table(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()
    return out


def _writes_here(table: Any, keys: Sequence[str], dialect: Dialect) -> bool:
    """Whether `_insert_many` writes these columns itself: a driver parameter style it knows,
    and no left-out column with a Python-side default (only a Core insert fills that in)."""
    left_out = [c for c in table.columns if c.key not in keys and not c.primary_key]
    return dialect.paramstyle in _PLACEHOLDER and all(c.default is None for c in left_out)


def _reserve(target: _Target, table: Any, count: int) -> list[int]:
    """``count`` new ids of ``table``, to write with rows that are not inserted yet.

    PostgreSQL: from the table's own sequence (``nextval`` is atomic across stations; a
    rolled-back import leaves a gap, as an INSERT's would). SQLite: the ids after the
    largest, which are the ids SQLite itself would give the rows: every transaction here
    holds the database's write lock from its start (BEGIN IMMEDIATE, db/engine.py), so no
    other writer can take them meanwhile."""
    if count <= 0:
        return []
    prep = target.dialect.identifier_preparer
    cursor = target.dbapi.cursor()
    try:
        if target.dialect.name == "postgresql":
            # The sequence looked up once (OFFSET 0 keeps the planner from folding it into
            # each row): nextval by name looked it up for every id, 0.1 s for 20,000.
            cursor.execute(
                "SELECT nextval(q.seq) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass"
                " AS seq OFFSET 0) AS q, generate_series(1, %s)",
                (prep.format_table(table), count),
                prepare=False,
            )
            return [r[0] for r in cursor.fetchall()]
        if target.dialect.name == "sqlite" and not table.kwargs.get("sqlite_autoincrement"):
            cursor.execute(
                f"SELECT max({prep.format_column(table.c.id)}) FROM {prep.format_table(table)}"
            )
            last = cursor.fetchone()[0] or 0
            return list(range(last + 1, last + 1 + count))
    finally:
        cursor.close()
    raise ValueError(f"no way to reserve ids of {table.name} on {target.dialect.name}")


def reserve_ids(session: Session, model: type[Any], count: int) -> list[int]:
    """``count`` ids for new rows of ``model``, taken before the rows are written (with the
    rows' ``id`` given, a `Background` writer needs nothing back)."""
    return _reserve(_Target.of(session), model.__table__, count)


# The interpreter's thread switch interval while a `Background` writer works (seconds).
_SWITCH_S = 0.0005

# SQLite's page cache while a `Background` writer writes (KiB).
_WRITE_CACHE_KIB = 65536

# A writer's unit of work, and where its answer goes.
_Job = tuple[Callable[["_Target"], Any], Future[Any]]


class Background:
    """Database work (plain inserts, id reservations, `select_in` look-ups) run in a thread of
    its own in the order given, on the session's connection, while the caller goes on with
    its Python: the database's part (SQLite's, which lets go of the GIL while it works, or
    the PostgreSQL server's) runs on the second core. An import's look-ups cost about as much
    as parsing its file, and its lines and events about as much to write as to build (issue
    30).

    Nothing else may use the session until `drain` has returned; the ``with`` block ends with
    it. A failed piece of work skips those after it, and `drain` raises its error in the
    caller's thread. Leaving the block by an exception waits for the statement under way and
    discards the rest, so the transaction can be rolled back."""

    def __init__(self, session: Session) -> None:
        self._target = _Target.of(session)
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._discard = False
        self._cache_was = self._widen_cache()
        # The writer lets go of the GIL for each statement and needs it back to go on; at the
        # default 5 ms switch interval it waited behind the caller's Python each time (the
        # look-ups of an import took eight times as long as alone).
        self._switch_was: float | None = sys.getswitchinterval()
        sys.setswitchinterval(_SWITCH_S)
        self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        self._thread.start()

    def _widen_cache(self) -> int | None:
        """SQLite: a page cache that holds what the writes touch, until `drain`. Rows spread
        over a big table's indexes (an import's lines name hundreds of customers) touch
        thousands of pages; the default 2 MB cache wrote them to the WAL mid-transaction and
        read them back (0.15 s of a 20,000-line import at five years). The memory is taken
        only as pages are touched."""
        if self._target.dialect.name != "sqlite":
            return None
        cursor = self._target.dbapi.cursor()
        try:
            was = int(cursor.execute("PRAGMA cache_size").fetchone()[0])
            cursor.execute(f"PRAGMA cache_size = {-_WRITE_CACHE_KIB}")
        finally:
            cursor.close()
        return was

    def _submit(self, work: Callable[[_Target], Any]) -> Future[Any]:
        if not self._thread.is_alive():
            raise RuntimeError("this writer has been drained")
        done: Future[Any] = Future()
        self._queue.put((work, done))
        return done

    def insert(self, model: type[Any], keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Queue rows (tuples in the order of ``keys``); refused here, before anything of them
        is queued, if a value is too long for its field."""
        if not rows:
            return
        check_columns(model, keys, rows)
        table = model.__table__
        if not _writes_here(table, keys, self._target.dialect):
            raise ValueError(f"{table.name}: a background insert must name every column")
        self._submit(lambda target: _insert_many(target, model, keys, rows, returning=None))

    def reserve_ids(self, model: type[Any], count: int) -> list[int]:
        """`reserve_ids`, in turn after what is queued: waits for it, and raises a failure of
        what was queued before."""
        job = self._submit(lambda target: _reserve(target, model.__table__, count))
        try:
            return job.result()  # type: ignore[no-any-return]
        except BaseException:
            self.drain()  # the failure that skipped it, if one did
            raise

    @property
    def dialect(self) -> Dialect:
        return self._target.dialect

    def select_in(self, query: InQuery, values: Sequence[Any]) -> Future[list[tuple[Any, ...]]]:
        """`select_in` of a query compiled before (`InQuery`), run in turn after what is
        queued; its rows come in the future it returns."""
        if not values:
            done: Future[list[tuple[Any, ...]]] = Future()
            done.set_result([])
            return done
        runs = query.runs(values)
        return self._submit(lambda target: _selected(target, query.sql, runs))

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            work, done = job
            if self._error is not None or self._discard:
                done.cancel()
                continue
            try:
                done.set_result(work(self._target))
            except BaseException as exc:  # raised again by drain, in the caller's thread
                self._error = exc
                done.set_exception(exc)

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._switch_was is not None:
            sys.setswitchinterval(self._switch_was)
            self._switch_was = None
        if self._cache_was is not None:
            cursor = self._target.dbapi.cursor()
            try:
                cursor.execute(f"PRAGMA cache_size = {self._cache_was}")
            finally:
                cursor.close()
            self._cache_was = None

    def drain(self) -> None:
        """Wait until every queued row is written; raise the first failure."""
        self._stop()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def __enter__(self) -> Background:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self._discard = True
            self._stop()
            return
        self.drain()


def _processed(
    rows: Sequence[Sequence[Any]], processors: list[tuple[int, Callable[[Any], Any]]]
) -> list[tuple[Any, ...]]:
    columns = list(zip(*rows, strict=True))  # column-wise: the transposes run in C
    for i, process in processors:
        done: list[Any] = []
        last_in: Any = object()
        last_out: Any = None
        for value in columns[i]:
            if value is not last_in:
                last_in, last_out = value, process(value)
            done.append(last_out)
        columns[i] = tuple(done)
    return list(zip(*columns, strict=True))


def _insert_core(
    session: Session, table: Any, keys: Sequence[str], rows: Sequence[Sequence[Any]], key: str
) -> list[int]:
    """SQLAlchemy's own multi-row insert, for what `_insert_many` does not write itself."""
    stmt = insert(table).returning(table.c.id, table.c[key])
    params = [dict(zip(keys, row, strict=True)) for row in rows]
    ids = dict((k, i) for i, k in session.execute(stmt, params).all())
    key_index = list(keys).index(key)
    return [ids[row[key_index]] for row in rows]


def select_in(
    session: Session,
    build: Callable[[Match], Executable],
    values: Sequence[Any],
    chunk: int = 500,
) -> list[tuple[Any, ...]]:
    """The rows of ``build(match)`` for every value in ``values`` (`InQuery`)."""
    if not values:
        return []
    query = InQuery.compile(_dialect(session), build, chunk)
    return _selected(_Target.of(session), query.sql, query.runs(values))


@dataclass(frozen=True)
class InQuery:
    """A statement that asks about many values at once, compiled once for a database and run
    on the driver's cursor ``chunk`` values at a time.

    ``build`` gets ``match``, which makes the condition "this column is one of the values" for
    a column (use it as often as you like, never under NOT), and returns the statement.
    PostgreSQL gets the values as one array, ``column = ANY(%s)``: 500 parameters of their own
    made each statement slow to plan (0.3 s for a 20,000-line import's keys, 0.08 s as
    arrays; issue 30), and an array of many thousands is planned as a scan of the table.
    Elsewhere they go in an IN list padded with NULL (``x IN (NULL)`` matches nothing). The
    rows are the driver's own values, without SQLAlchemy's result processing: select columns
    that need none (integers, text). Compiling took longer than the look-ups it served when
    an import compiled it anew for each batch of rows."""

    sql: str
    slots: tuple[str, ...]  # the parameters the values go in (one: PostgreSQL's array)
    base: dict[str, Any]  # the statement's own values, if it has any
    names: tuple[str, ...] | None  # positional parameter order (None: named)
    chunk: int

    @classmethod
    def compile(
        cls, dialect: Dialect, build: Callable[[Match], Executable], chunk: int = 500
    ) -> InQuery:
        if dialect.name == "postgresql":
            array = bindparam("values_array")
            slots: list[BindParameter[Any]] = [array]
            stmt = build(lambda column: column == any_(array))
        else:
            slots = [bindparam(f"in_{i}") for i in range(chunk)]
            stmt = build(lambda column: column.in_(slots))
        compiled = stmt.compile(dialect=dialect)
        names = compiled.positiontup
        return cls(
            str(compiled),
            tuple(p.key for p in slots),
            dict(compiled.params),
            tuple(names) if names is not None else None,
            chunk,
        )

    def runs(self, values: Sequence[Any]) -> list[Any]:
        """The parameters of each run of the statement that together cover ``values``."""
        out: list[Any] = []
        for start in range(0, len(values), self.chunk):
            part = list(values[start : start + self.chunk])
            if len(self.slots) == 1:  # PostgreSQL: the array
                given = {**self.base, self.slots[0]: part}
            else:
                part += [None] * (self.chunk - len(part))
                given = {**self.base, **dict(zip(self.slots, part, strict=True))}
            out.append(given if self.names is None else [given[n] for n in self.names])
        return out


def _selected(target: _Target, sql: str, runs: list[Any]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    cursor = target.dbapi.cursor()
    # Planned for its own values, never prepared: psycopg prepares a statement run five times,
    # and PostgreSQL's generic plan for it, made while a table's statistics were stale (after
    # a bulk import, before autovacuum's ANALYZE), scanned 520,000 intake lines for every
    # chunk (4 s each) where the index finds them in milliseconds (issue 30).
    options = {"prepare": False} if target.dialect.name == "postgresql" else {}
    try:
        for bound in runs:
            cursor.execute(sql, bound, **options)
            out.extend(tuple(r) for r in cursor.fetchall())
    finally:
        cursor.close()
    return out
