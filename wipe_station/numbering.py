"""Certificate numbers: unique per station and year, also with stations sharing a PostgreSQL,
and never issued twice, whatever happened to the database.

The counter row is locked and bumped in the certificate's own transaction. Before the number is
handed out, it is also written to the home's number ledger (`numbering.json`, beside the key):
a database restored from an older backup, or lost and started over, continues after the highest
number the station ever gave out (`resume_after_ledger`, at every open) instead of giving one out
again. A number rolled back while the station runs is given back (it never reached a page); one
rolled back by a crash leaves a gap: a gap is honest, a number given twice is not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from wipe_station.atomic import write_atomically
from wipe_station.db.models import CertificateCounter
from wipe_station.db.upsert import insert_ignore
from wipe_station.errors import StationError

LEDGER_FILE = "numbering.json"


def format_number(station_id: str, year: int, seq: int) -> str:
    return f"WS-{station_id}-{year}-{seq:06d}"


@dataclass
class NumberLedger:
    """The home's record of the station's highest certificate number per year, and that the
    station was registered in a database (so a missing one is noticed)."""

    path: Path
    station_id: str

    def read(self) -> dict[str, int]:
        """Year (as text) -> last sequence given out; {} when the file does not exist."""
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StationError(
                f"the certificate number ledger {self.path} is damaged; restore it from the "
                "home's backup (it keeps numbers from being issued twice)"
            ) from exc
        if raw.get("station_id") != self.station_id:
            raise StationError(
                f"the number ledger {self.path} belongs to station {raw.get('station_id')!r}, "
                f"not {self.station_id}: restore this home's own files"
            )
        return {str(k): int(v) for k, v in dict(raw.get("last", {})).items()}

    def exists(self) -> bool:
        return self.path.exists()

    def last(self, year: int) -> int:
        return self.read().get(str(year), 0)

    def write(self, last: dict[str, int]) -> None:
        body = {"station_id": self.station_id, "last": dict(sorted(last.items()))}
        try:
            write_atomically(self.path, (json.dumps(body, indent=2) + "\n").encode())
        except OSError as exc:
            raise StationError(
                f"cannot write the certificate number ledger {self.path}: {exc.strerror}; "
                "no certificate is issued until it can be"
            ) from exc

    def reserve(self, year: int, seq: int) -> None:
        last = self.read()
        if last.get(str(year), 0) < seq:
            last[str(year)] = seq
            self.write(last)

    def touch(self) -> None:
        """Create the ledger (nothing issued yet) if it does not exist."""
        if not self.exists():
            self.write({})


def allocate(
    session: Session, station_id: str, year: int, ledger: NumberLedger | None = None
) -> tuple[int, str]:
    stmt = (
        select(CertificateCounter)
        .where(CertificateCounter.station_id == station_id, CertificateCounter.year == year)
        .with_for_update()
    )
    counter = session.exec(stmt).one_or_none()
    if counter is None:
        insert_ignore(session, CertificateCounter, station_id=station_id, year=year, last_seq=0)
        counter = session.exec(stmt).one()
    counter.last_seq += 1
    if ledger is not None:
        # Written (and synced) before the number can reach a page or a commit.
        ledger.reserve(year, counter.last_seq)
    session.add(counter)
    session.flush()
    return counter.last_seq, format_number(station_id, year, counter.last_seq)


def resume_after_ledger(session: Session, station_id: str, ledger: NumberLedger) -> list[str]:
    """Raise this station's counters to what the ledger says was given out; returns the
    numbers skipped to (e.g. after a restore from an older backup), for the audit log."""
    raised: list[str] = []
    for year_text, last in ledger.read().items():
        year = int(year_text)
        counter = session.exec(
            select(CertificateCounter)
            .where(CertificateCounter.station_id == station_id, CertificateCounter.year == year)
            .with_for_update()
        ).one_or_none()
        if counter is None:
            insert_ignore(
                session, CertificateCounter, station_id=station_id, year=year, last_seq=last
            )
            raised.append(format_number(station_id, year, last))
        elif counter.last_seq < last:
            counter.last_seq = last
            session.add(counter)
            raised.append(format_number(station_id, year, last))
    session.flush()
    return raised
