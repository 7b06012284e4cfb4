"""Is the database file whole? SQLite's own page check, read through a connection of its own, so
it answers even when the station cannot open the database."""

from __future__ import annotations

import sqlite3

from wipe_station.paths import sqlite_path

SHOWN = 3  # problems quoted in a message; `sqlite3 station.db "PRAGMA integrity_check"` has all


def sqlite_damage(url: str) -> list[str]:
    """What `PRAGMA quick_check` finds wrong with the SQLite file behind ``url`` (pages, tree
    and index problems, each saying where), or [] when it is whole or not SQLite."""
    path = sqlite_path(url)
    if path is None or not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=15)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.Error as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def describe_damage(url: str, problems: list[str]) -> str:
    shown = "; ".join(problems[:SHOWN])
    more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
    return f"the database file {sqlite_path(url)} is damaged: {shown}{more}"
