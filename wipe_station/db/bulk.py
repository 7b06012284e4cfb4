"""Bulk inserts for the few places that write thousands of rows at once (intake files and
their audit events), with the same field-length check every ORM flush gets (db/lengths.py):
a Core insert passes no ORM flush, so the check runs here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from wipe_station.db import lengths


def check_rows(model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Raise lengths.TooLong for the first text value longer than its field."""
    table = model.__table__
    limits = {
        c.key: n for c in table.columns if (n := lengths.max_length(model, c.key)) is not None
    }
    for key, limit in limits.items():
        texts = [v for row in rows if isinstance(v := row.get(key), str)]
        longest = max(map(len, texts), default=0)  # one C-level pass per column
        if longest > limit:
            raise lengths.TooLong(
                f"{table.name}.{key} is at most {limit} characters (this value has {longest})"
            )


def insert_rows(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]], key: str
) -> list[int]:
    """Insert ``rows`` in multi-row statements; returns their ids in the same order.

    ``key`` names a column unique among ``rows``: the ids come back paired with it, because
    multi-row RETURNING promises no order and asking SQLAlchemy for one
    (sort_by_parameter_order) makes it insert SQLite rows one statement each."""
    if not rows:
        return []
    check_rows(model, rows)
    table = model.__table__  # Core, not the ORM bulk path (which adds per-row bookkeeping)
    stmt = insert(table).returning(table.c.id, table.c[key])
    ids = dict((k, i) for i, k in session.execute(stmt, list(rows)).all())
    return [ids[row[key]] for row in rows]


def insert_plain(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows of plain values (str, int, None: columns without bind processing, as the
    audit tables have) through the driver's own executemany: SQLAlchemy's per-row parameter
    handling cost more than the inserts (63,000 commitments for a 21,000-line file)."""
    if not rows:
        return
    check_rows(model, rows)
    keys = list(rows[0])
    compiled = insert(model.__table__).compile(dialect=session.get_bind().dialect, column_keys=keys)
    names = compiled.positiontup
    if names is None:
        params: list[Any] = list(rows)
    else:
        params = [tuple(row[n] for n in names) for row in rows]
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(str(compiled), params)
    finally:
        cursor.close()
