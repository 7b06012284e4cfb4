"""Station settings kept in the database (shared by every station on a depot's PostgreSQL)."""

from __future__ import annotations

from sqlmodel import Session

from wipe_station.db.models import Setting

DEFAULTS: dict[str, str] = {
    "depot.organization": "Wipe Station depot",
    "depot.location": "",
    "depot.phone": "",
    "media.classification": "Confidential (may hold personal data)",
    "destination.description": "Environmental recycling (miljøretur)",
    "destination.facility": "",
}


def get(session: Session, key: str) -> str:
    row = session.get(Setting, key)
    if row is not None:
        return row.value
    return DEFAULTS.get(key, "")


def put(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key) or Setting(key=key, value=value)
    row.value = value
    session.add(row)
