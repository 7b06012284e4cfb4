"""A second process for `audit verify`: it walks one range of a station's chain on its own
database connection, so hashing a million events uses more than one core (the GIL keeps
threads to one).

store.py runs `main` in a new interpreter (its `_WORKER_COMMAND`): it reads one JSON request on
standard input and writes one JSON answer on standard output. It imports only the database
driver and the walk, not SQLAlchemy or the application, so it starts in a tenth of a second.
store.py checks what it answers against its own transaction and walks the range itself if
anything differs or the worker fails.
"""

from __future__ import annotations

import gc
import itertools
import json
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from wipe_station.audit.walk import WalkState, walk_events

SQLITE_BUSY_S = 30.0  # as long as the station's own connections wait for a lock


def page_rows(
    cursor: Any,
    sql: str,
    names: Sequence[str] | None,
    params: Mapping[str, Any],
    after: int,
) -> Iterator[tuple[Any, ...]]:
    """Rows of one keyset-paged statement (`:last` is the last sequence number seen): a page at
    a time, so memory stays constant, on the driver's own cursor (no SQLAlchemy rows).
    ``names`` orders the parameters for positional paramstyles; None means named."""
    last = after
    while True:
        values = {**params, "last": last}
        cursor.execute(sql, values if names is None else tuple(values[n] for n in names))
        rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][1]


def walk_range(cursor: Any, request: Mapping[str, Any]) -> dict[str, Any]:
    """Walk the events with ``after < seq <= upto``. The walk starts from the state the range
    must begin with if all before it is intact (sequence ``after + 1``, linked to whatever
    the first event names): the caller checks that link against the hash the range before
    ends with."""
    rows = page_rows(cursor, request["sql"], request["names"], request["params"], request["after"])
    first = next(rows, None)
    if first is None:
        return {"first": None}
    state = WalkState(expected=request["after"] + 1, prev=first[7])
    heads = {int(seq): head for seq, head in request["heads"].items()}
    problem = walk_events(request["station"], itertools.chain([first], rows), heads, state)
    return {
        "first": [first[1], first[7]],
        "problem": problem,
        "state": [state.expected, state.prev, state.count, state.signed, state.last_signed],
    }


def _connect(request: Mapping[str, Any]) -> Any:
    args, kwargs = request["connect"]
    if request["driver"] == "sqlite":
        conn = sqlite3.connect(*args, timeout=SQLITE_BUSY_S, isolation_level=None)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("BEGIN")  # one snapshot for every page
        return conn
    import psycopg  # only here: importing it costs more than the SQLite walk's start

    conn = psycopg.connect(*args, **kwargs)
    conn.read_only = True
    return conn


def main() -> None:
    gc.disable()  # a short-lived process that makes no cycles: see db.bulk.gc_paused
    request = json.load(sys.stdin)
    conn = _connect(request)
    try:
        answer = walk_range(conn.cursor(), request)
    finally:
        conn.close()
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
