"""What must never happen twice is the database's to refuse: one live record per phone
identity, one current certificate per device, also with two stations racing on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from tests.accidents.bench import facts, phone_at
from wipe_station.audit.log import Actor
from wipe_station.certify import issue_certificate
from wipe_station.context import StationContext, open_station
from wipe_station.db.models import Certificate, Device
from wipe_station.lifecycle import DeviceState as S
from wipe_station.operators import actor_of, add_operator
from wipe_station.orchestrator import records

ANNA = Actor("anna", None, "technician")


def test_two_live_records_of_one_phone_are_refused(station: StationContext) -> None:
    records.identified(station, ANNA, facts("SERDUP"), "1-1", [], emulated=True)
    with pytest.raises(IntegrityError), station.session() as s:
        s.add(
            Device(
                station_id=station.station_id, platform="android", serial="SERDUP", state="detected"
            )
        )
        s.flush()
    with station.session() as s:  # a handed-over record does not count: the phone came back
        s.add(
            Device(
                station_id=station.station_id,
                platform="android",
                serial="SERDUP",
                state="handed_over",
            )
        )


def test_two_current_certificates_of_one_device_are_refused(station: StationContext) -> None:
    dev_id, job_id = phone_at(station, ANNA, "SERCERT", S.VERIFIED)
    cert = issue_certificate(station, job_id, ANNA)
    with pytest.raises(IntegrityError), station.session() as s:
        s.add(
            Certificate(
                number="WS-X-2026-999999",
                station_id=station.station_id,
                year=2026,
                sequence=999999,
                device_id=dev_id,
                payload_json=cert.payload_json,
                signature=cert.signature,
                digest=cert.digest,
            )
        )
        s.flush()


def _race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` on n threads released at once; what each returned or raised."""
    gate = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        gate.wait()
        try:
            out[i] = work(i)
        except Exception as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


def test_two_stations_racing_on_postgresql_keep_one_record_and_one_certificate(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stations = []
    for sid in ("NORTH", "SOUTH"):
        monkeypatch.setenv("WIPE_STATION_ID", sid)
        stations.append(open_station(tmp_path / sid, pg_url))
    try:
        north = stations[0]
        admin = add_operator(north, "ada", "admin", "1357", by=None)
        tech = actor_of(add_operator(north, "anna", "technician", "2468", by=admin))
        for round_ in range(5):
            serial = f"RACE{round_}"
            found = _race(
                2,
                lambda i, serial=serial: records.identified(
                    stations[i], tech, facts(serial), f"1-{i}", [], emulated=True
                ),
            )
            assert not [f for f in found if isinstance(f, Exception)], found
            with north.session() as s:
                live = s.exec(select(Device).where(Device.serial == serial)).all()
            assert len(live) == 1  # both stations hold the same record
        dev_id, _ = phone_at(north, tech, "RACECERT", S.VERIFIED)
        issued = _race(2, lambda i: records.certify_verified(stations[i], dev_id))
        with north.session() as s:
            current = s.exec(
                select(Certificate).where(
                    Certificate.device_id == dev_id, col(Certificate.superseded_by_id).is_(None)
                )
            ).all()
        assert len(current) == 1, issued
        winners = [x for x in issued if isinstance(x, str)]
        assert winners == [current[0].number]  # the other was refused by the database
    finally:
        for ctx in stations:
            ctx.engine.dispose()
