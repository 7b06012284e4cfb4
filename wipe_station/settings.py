"""Station settings kept in the database (shared by every station on a depot's PostgreSQL)."""

from __future__ import annotations

import math

from sqlmodel import Session

from wipe_station.db.models import Setting

DEFAULTS: dict[str, str] = {
    "depot.organization": "Wipe Station depot",
    "depot.org_number": "",
    "depot.location": "",
    "depot.phone": "",
    "media.classification": "Confidential (may hold personal data)",
    "destination.description": "Environmental recycling (miljøretur)",
    "destination.facility": "",
    # Retention (privacy statement): personal data goes this many months after a contract ends;
    # certificates and evidence are kept this many years for accounting.
    "retention.personal_months": "6",
    "retention.accounting_years": "5",
    "ui.idle_minutes": "10",
    # Attested erasures (guided recovery: the technician confirmed the screen) are certified at
    # once ("certify") or wait for a supervisor's `certificate release` ("hold").
    "erasure.attested": "certify",
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


def idle_sign_out_seconds(session: Session) -> float:
    """How long the station UI waits without a key press or mouse event before it signs the
    operator out. A value that is not a positive number of minutes falls back to the default."""
    default = float(DEFAULTS["ui.idle_minutes"])
    try:
        minutes = float(get(session, "ui.idle_minutes"))
    except ValueError:
        minutes = default
    if not math.isfinite(minutes) or minutes <= 0:
        minutes = default
    return minutes * 60.0
