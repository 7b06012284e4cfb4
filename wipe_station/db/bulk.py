"""Bulk inserts and look-ups for the few places that handle thousands of rows at once (intake
files and their audit events), with the same field-length check every ORM flush gets
(db/lengths.py): a Core or driver insert passes no ORM flush, so the check runs here.

The statements run on the driver's own cursor inside the session's transaction: SQLAlchemy's
per-row and per-parameter handling cost more than the database work (issue 19: of a 21,000-line
intake file, more CPU than its inserts themselves, and 0.4 s for its duplicate look-up)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, Executable, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlmodel import Session

from wipe_station.db import lengths

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
    returned = _insert_many(session, model, keys, rows, returning=key)
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
    if _insert_many(session, model, keys, rows, returning=None) is None:
        session.execute(insert(model.__table__), [dict(zip(keys, r, strict=True)) for r in rows])


def _insert_many(
    session: Session,
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
    dialect = _dialect(session)
    placeholder = _PLACEHOLDER.get(dialect.paramstyle)
    columns = [table.c[k] for k in keys]
    left_out = [c for c in table.columns if c.key not in keys and not c.primary_key]
    if placeholder is None or any(c.default is not None for c in left_out):
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
        return _copy_in(session, table, keys, rows, returning)
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
    cursor = _cursor(session)
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
    session: Session,
    table: Any,
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: str | None,
) -> list[tuple[Any, Any]]:
    """PostgreSQL: the rows through ``COPY … FROM STDIN``, about three times the rate of
    multi-row INSERTs for an import's 20,000 lines and their audit events (issue 30). COPY
    returns nothing, so with ``returning`` the ids are taken from the table's own sequence
    first (``nextval`` is atomic across stations; a rolled-back import leaves a gap, as an
    INSERT's would) and written with the rows."""
    prep = _dialect(session).identifier_preparer
    names = list(keys)
    out: list[tuple[Any, Any]] = []
    cursor = _cursor(session)
    try:
        if returning is not None:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                (prep.format_table(table), len(rows)),
            )
            ids = [r[0] for r in cursor.fetchall()]
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


def fetch_plain(session: Session, stmt: Executable) -> list[tuple[Any, ...]]:
    """The rows of ``stmt`` from the driver's cursor, without SQLAlchemy's per-row result
    handling: for columns that need none (integers, text)."""
    compiled = stmt.compile(dialect=_dialect(session))
    params = compiled.params
    names = compiled.positiontup
    cursor = _cursor(session)
    try:
        cursor.execute(str(compiled), params if names is None else [params[n] for n in names])
        return [tuple(r) for r in cursor.fetchall()]
    finally:
        cursor.close()


def select_in(
    session: Session,
    build: Callable[[list[BindParameter[Any]]], Executable],
    values: Sequence[Any],
    chunk: int = 500,
) -> list[tuple[Any, ...]]:
    """The rows of ``build(params)`` for every value in ``values``, ``chunk`` values at a time.

    ``build`` gets ``chunk`` bound parameters to use in IN lists (as many times as it likes) and
    returns the statement. It is compiled once and each chunk runs on the driver's cursor, the
    last one padded with NULL (``x IN (NULL)`` matches nothing, so use the parameters only in
    IN lists, never in NOT IN). The rows are the driver's own values, without SQLAlchemy's
    result processing: select columns that need none (integers, text)."""
    if not values:
        return []
    params = [bindparam(f"in_{i}") for i in range(chunk)]
    compiled = build(params).compile(dialect=_dialect(session))
    sql = str(compiled)
    slot = {p.key: i for i, p in enumerate(params)}
    base = compiled.params  # the statement's own values, if it has any
    names = compiled.positiontup
    out: list[tuple[Any, ...]] = []
    cursor = _cursor(session)
    # Planned for each chunk's own values, never prepared: psycopg prepares a statement run five
    # times, and PostgreSQL's generic plan for it, made while a table's statistics were stale
    # (after a bulk import, before autovacuum's ANALYZE), scanned 520,000 intake lines for every
    # chunk (4 s each) where the index finds them in milliseconds (issue 30).
    options = {"prepare": False} if _dialect(session).name == "postgresql" else {}
    try:
        for start in range(0, len(values), chunk):
            part = list(values[start : start + chunk])
            part += [None] * (chunk - len(part))
            if names is None:  # a named style (psycopg's pyformat): a dict
                bound: Any = {**base, **{p.key: v for p, v in zip(params, part, strict=True)}}
            else:
                bound = [part[slot[n]] if n in slot else base[n] for n in names]
            cursor.execute(sql, bound, **options)
            out.extend(tuple(r) for r in cursor.fetchall())
    finally:
        cursor.close()
    return out
