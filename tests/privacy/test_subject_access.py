"""Data-subject access: everything the station holds about one employee, found by phone or name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.logistics.conftest import ACME, BOSS, certified_phone, cli_as, logistics_station, run_cli
from wipe_station import intake, privacy
from wipe_station.context import StationContext
from wipe_station.errors import StationError


@pytest.fixture
def station(home: Path, db_url: str) -> Iterator[StationContext]:
    yield from logistics_station(home, db_url)


def test_export_by_phone_or_name(station: StationContext, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "org;serial;employee_name;employee_phone\n"
        f"{ACME};DSA1;Kari Nordmann;+47 912 34 567\n"
        f"{ACME};DSA2;Kari Nordmann;+47 912 34 567\n"
        f"{ACME};DSA3;Somebody Else;+47 900 00 000\n"
    )
    intake.import_csv(station, BOSS, path)
    cert = certified_phone(station, "DSA1")
    by_phone = privacy.subject_access(station, BOSS, phone="0047 91234567", employee=None)
    by_name = privacy.subject_access(station, BOSS, phone=None, employee="kari  nordmann")
    assert len(by_phone["records"]) == len(by_name["records"]) == 2
    first = by_phone["records"][0]
    assert first["announced_return"]["employee_name"] == "Kari Nordmann"
    assert first["phone"]["serial"] == "DSA1" and first["phone"]["certificates"]
    assert by_phone["records"][1]["phone"] is None  # announced, not yet at the depot
    # The intake events commit to her values; the export points at them.
    fields = {m["field"] for m in by_phone["audit_log_mentions"]}
    assert "employee_phone" in fields
    assert "Somebody Else" not in json.dumps(by_phone)
    assert cert is not None
    with pytest.raises(StationError, match="either --phone"):
        privacy.subject_access(station, BOSS, phone=None, employee=None)
    with pytest.raises(StationError, match="not a phone number"):
        privacy.subject_access(station, BOSS, phone="call me", employee=None)


def test_privacy_export_cli_is_for_admins(
    station: StationContext,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_as(station, db_url, monkeypatch, "logistics")
    out = tmp_path / "p.json"
    code, _, err = run_cli(
        capsys, monkeypatch, "privacy", "export", "--phone", "+4791234567", "-o", str(out)
    )
    assert code == 3 and "may not privacy export" in err and not out.exists()
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "admin1")
    monkeypatch.setenv("WIPE_STATION_PIN", "2468")
    code, stdout, _ = run_cli(
        capsys, monkeypatch, "privacy", "export", "--phone", "+4791234567", "-o", str(out)
    )
    assert code == 0 and "wrote 0 records" in stdout
    assert json.loads(out.read_text())["subject"] == {"phone": "+4791234567"}
