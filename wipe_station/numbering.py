"""Certificate numbers: unique and gapless per station and year, also with stations sharing a
PostgreSQL. The counter row is locked and bumped in the certificate's own transaction, so a
rolled-back certificate gives its number back instead of leaving a hole."""

from __future__ import annotations

from sqlmodel import Session, select

from wipe_station.db.models import CertificateCounter
from wipe_station.db.upsert import insert_ignore


def format_number(station_id: str, year: int, seq: int) -> str:
    return f"WS-{station_id}-{year}-{seq:06d}"


def allocate(session: Session, station_id: str, year: int) -> tuple[int, str]:
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
    session.add(counter)
    session.flush()
    return counter.last_seq, format_number(station_id, year, counter.last_seq)
