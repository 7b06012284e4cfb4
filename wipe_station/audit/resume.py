"""Where `audit verify` resumes: the last signed checkpoint of each chain a verification passed.

Kept in the station's home (``audit/verified.json``), not in the database: someone who can edit
the records could otherwise move the mark past their own edits. One entry per database (by its
URL's hash, password left out), per station: ``{"seq": N, "head": "<hash the checkpoint signs>"}``.
A mark the database no longer holds as it was (restored, replaced, tampered) is ignored and the
chain is walked whole.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from wipe_station.audit.store import Resume
from wipe_station.audit.verify import ChainReport
from wipe_station.paths import private_dir
from wipe_station.timeutil import iso, utcnow


def _file(home: Path) -> Path:
    return home / "audit" / "verified.json"


def _db_key(db_url: str) -> str:
    try:
        plain = make_url(db_url).render_as_string(hide_password=True)
    except ArgumentError:  # an odd URL is still a key
        plain = db_url
    return hashlib.sha256(plain.encode()).hexdigest()[:32]


def _read(home: Path) -> dict[str, dict[str, dict[str, object]]]:
    try:
        data = json.loads(_file(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: the next verification walks everything
    return data if isinstance(data, dict) else {}


def last_full(home: Path, db_url: str, station: str) -> datetime | None:
    """When ``station``'s chain in this database last verified walked whole, or None."""
    mark = (_read(home).get(_db_key(db_url)) or {}).get(station)
    when = mark.get("full_at") if isinstance(mark, dict) else None
    try:
        return datetime.fromisoformat(when) if isinstance(when, str) else None
    except ValueError:
        return None


def load(home: Path, db_url: str) -> dict[str, Resume]:
    """The marks for this database, by station."""
    out: dict[str, Resume] = {}
    entries = _read(home).get(_db_key(db_url))
    for station, mark in (entries or {}).items():
        if isinstance(mark, dict):
            seq, head = mark.get("seq"), mark.get("head")
            if type(seq) is int and isinstance(head, str) and seq > 0:
                out[station] = Resume(seq, head)
    return out


def save(home: Path, db_url: str, reports: Iterable[ChainReport]) -> None:
    """Mark the last signed checkpoint of each chain that verified, and when a chain was last
    walked whole (``full_at``: `doctor` says when that is long ago). Written to a temporary
    name and renamed: a crash leaves the old marks or the new, never half."""
    data = _read(home)
    entries = data.setdefault(_db_key(db_url), {})
    for report in reports:
        if not report.ok:
            continue
        old = entries.get(report.station)
        entry: dict[str, object] = dict(old) if isinstance(old, dict) else {}
        if report.last_signed_seq > 0 and report.signed_head:
            entry.update(seq=report.last_signed_seq, head=report.signed_head)
        if report.resumed_from is None:
            entry["full_at"] = iso(utcnow())
        entries[report.station] = entry
    path = _file(home)
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
