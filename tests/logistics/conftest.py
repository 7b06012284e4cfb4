"""Stations with customers and phones at every stage, made through the real record paths."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.contract import DeviceFacts, EvidenceItem, Platform
from wipe_station.audit.log import Actor
from wipe_station.certify import issue_certificate
from wipe_station.cli.main import main
from wipe_station.context import StationContext, open_station
from wipe_station.customers import add_customer
from wipe_station.db.models import Device, WipeJob
from wipe_station.lifecycle import DeviceState, transition
from wipe_station.orchestrator import records
from wipe_station.timeutil import utcnow

TECH = Actor("tech1", None, "technician")
BOSS = Actor("boss", None, "logistics")
ACME = "974760673"
OTHER = "998000009"


@pytest.fixture
def station(home: Path, db_url: str) -> Iterator[StationContext]:
    yield from logistics_station(home, db_url)


def logistics_station(home: Path, db_url: str) -> Iterator[StationContext]:
    """A station with two customers (Acme AS and Other AS); other folders wrap it in a fixture."""
    ctx = open_station(home, db_url)
    add_customer(ctx, BOSS, ACME, "Acme AS", None)
    add_customer(ctx, BOSS, OTHER, "Other AS", None)
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


def plug_in(
    station: StationContext,
    serial: str,
    imeis: tuple[str, ...] = (),
    model: str = "Pixel 8",
    platform: Platform = Platform.ANDROID,
) -> Device:
    facts = DeviceFacts(
        platform=platform,
        manufacturer="Google" if platform is Platform.ANDROID else "Apple",
        model=model,
        model_code="GKWS6",
        serial=serial,
        os_version="14",
        imeis=imeis,
    )
    return records.device_detected(station, TECH, facts, "1-1.1", emulated=False)


def certify(station: StationContext, device_id: int) -> str:
    """Walk the phone through a verified erasure (as the engine does) and certify it."""
    with station.session() as s:
        dev = s.get(Device, device_id)
        assert dev is not None
        for state in (DeviceState.WIPING, DeviceState.REBOOTING, DeviceState.VERIFYING):
            transition(s, station.identity, TECH, dev, state)
        transition(s, station.identity, TECH, dev, DeviceState.VERIFIED)
        job = WipeJob(
            device_id=device_id,
            station_id=station.station_id,
            method="Recovery reset",
            erasure_class="purge",
            outcome="verified",
            ended_at=utcnow(),
        )
        s.add(job)
        s.flush()
        job_id = job.id
    assert job_id is not None
    records.add_evidence(
        station,
        job_id,
        [
            EvidenceItem("verify", "station_key_forgotten", "CNXN", "AUTH token", True),
            EvidenceItem("verify", "setup_wizard", "settings get", "0", True),
        ],
    )
    return issue_certificate(station, job_id, TECH).number


def certified_phone(station: StationContext, serial: str, **kw: object) -> Device:
    dev = plug_in(station, serial, **kw)  # type: ignore[arg-type]
    assert dev.id is not None
    certify(station, dev.id)
    return dev


def run_cli(capsys, monkeypatch, *args: str, stdin: str = "") -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def cli_as(
    station: StationContext, db_url: str, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    """Create an admin and an operator with ``role``, and sign the CLI in as that operator."""
    from wipe_station.operators import add_operator

    admin = add_operator(station, "admin1", "admin", "2468", by=None)
    if role != "admin":
        add_operator(station, "oper", role, "1357", by=admin)
    monkeypatch.setenv("WIPE_STATION_DB", db_url)
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "admin1" if role == "admin" else "oper")
    monkeypatch.setenv("WIPE_STATION_PIN", "2468" if role == "admin" else "1357")
