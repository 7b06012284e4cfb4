"""Intake from the CSVs customers really send, and matching announced returns to phones."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlmodel import select

from tests.logistics.conftest import ACME, BOSS, OTHER, plug_in
from wipe_station import intake
from wipe_station.context import StationContext
from wipe_station.db.models import AuditEvent, AuditPersonal, Device, IntakeLine
from wipe_station.errors import StationError

GOOD_IMEI = "356938035643809"
OTHER_IMEI = "490154203237518"


def _import(station: StationContext, tmp_path: Path, data: bytes) -> intake.ImportResult:
    path = tmp_path / "returns.csv"
    path.write_bytes(data)
    return intake.import_csv(station, BOSS, path)


def test_dirty_csv_loads_good_rows_and_names_bad_lines(
    station: StationContext, tmp_path: Path
) -> None:
    text = (
        "Organisasjonsnummer;Serienummer;IMEI;Ansatt;Telefon;Årsak;Kostnadssted\r\n"
        f"{ACME};R58N1;;Kari Nordmann;+47 912 34 567;Bytte;100\r\n"  # good
        f"974760674;R58N2;;Ola;;;\r\n"  # bad org number check digit
        f"{ACME};;;Per;;;\r\n"  # neither serial nor IMEI
        f"{ACME};R58N3;{GOOD_IMEI};Åse Ødegård;004798765432;Slutt;\r\n"  # good, Latin-1 name
        f"{ACME};R58N1;;Dup;;;\r\n"  # duplicate of line 2
        f"{ACME};R58N4;12345;Bad imei;;;\r\n"  # IMEI fails Luhn/length
        f"{ACME};R58N5;;Bad phone;call me;;\r\n"
        "\r\n"
        f"123456785;R58N6;;Unknown customer;;;\r\n"  # valid number, no such customer
    )
    result = _import(station, tmp_path, text.encode("latin-1"))
    assert len(result.loaded) == 2 and result.rows == 8
    assert result.ignored_columns == ["Kostnadssted"]
    errors = {e.line: e.message for e in result.errors}
    assert sorted(errors) == [3, 4, 6, 7, 8, 10]
    assert "organisation number" in errors[3]
    assert "neither serial nor IMEI" in errors[4]
    assert "same phone as line 2" in errors[6]
    assert "IMEI" in errors[7] and "phone number" in errors[8]
    assert "no customer 123456785" in errors[10]
    with station.session() as s:
        lines = s.exec(select(IntakeLine).order_by(IntakeLine.id)).all()
        assert [(x.serial, x.employee_name, x.employee_phone) for x in lines] == [
            ("R58N1", "Kari Nordmann", "+4791234567"),
            ("R58N3", "Åse Ødegård", "+4798765432"),
        ]
        # The audit log chains commitments to the personal values, never the values.
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "intake.line")).all()
        assert len(events) == 2
        assert all("Kari" not in e.payload and "91234567" not in e.payload for e in events)
        # The values are kept once, on the line, with the salt of their commitments: not
        # copied behind the chain into audit_personal (docs/decisions.md, 2026-12-08).
        assert not s.exec(select(AuditPersonal)).all()
        kari = lines[0]
        event = s.exec(select(AuditEvent).where(AuditEvent.seq == kari.audit_seq)).one()
        assert (kari.audit_station, event.action) == (station.station_id, "intake.line")
        assert kari.personal_salt is not None
        # SHA-256 of the line's salt, the field's name, a NUL and the value.
        made = bytes.fromhex(kari.personal_salt) + b"employee_name\0Kari Nordmann"
        assert json.loads(event.payload)["personal"]["employee_name"] == (
            hashlib.sha256(made).hexdigest()
        )


def test_utf8_bom_commas_and_english_headers(station: StationContext, tmp_path: Path) -> None:
    text = (
        "\ufefforg_number,serial,imei,employee_name,employee_phone,reason\n"
        f'{ACME},,{GOOD_IMEI},"Nordmann, Kari",,"swap, new model"\n'
    )
    result = _import(station, tmp_path, text.encode("utf-8"))
    assert (len(result.loaded), result.errors) == (1, [])
    with station.session() as s:
        line = s.exec(select(IntakeLine)).one()
        assert (line.imei, line.employee_name, line.reason) == (
            GOOD_IMEI,
            "Nordmann, Kari",
            "swap, new model",
        )


def test_wrong_columns_are_refused_whole(station: StationContext, tmp_path: Path) -> None:
    with pytest.raises(StationError, match="lacks the columns"):
        _import(station, tmp_path, b"name;phone\nKari;123\n")
    with pytest.raises(StationError, match="is empty"):
        _import(station, tmp_path, b"")


def test_a_phone_announced_twice_is_refused_across_files(
    station: StationContext, tmp_path: Path
) -> None:
    _import(station, tmp_path, f"org;serial\n{ACME};R58N1\n".encode())
    again = _import(station, tmp_path, f"org;serial\n{OTHER};R58N1\n".encode())
    assert again.loaded == [] and "already announced (returns.csv line 2)" in str(again.errors[0])


def test_plugged_phone_matches_by_serial_or_imei_and_unmatched_is_flagged(
    station: StationContext, tmp_path: Path
) -> None:
    _import(
        station,
        tmp_path,
        f"org;serial;imei\n{ACME};R58N1;\n{OTHER};;{GOOD_IMEI}\n".encode(),
    )
    by_serial = plug_in(station, "R58N1")
    by_imei = plug_in(station, "F2LX", imeis=(OTHER_IMEI, GOOD_IMEI))
    stranger = plug_in(station, "NOBODY")
    with station.session() as s:
        devs = {d.serial: d for d in s.exec(select(Device)).all()}
        acme = s.exec(select(IntakeLine).where(IntakeLine.serial == "R58N1")).one()
    assert devs["R58N1"].intake_line_id == acme.id
    assert devs["F2LX"].intake_line_id is not None and devs["F2LX"].customer_id is not None
    assert devs["NOBODY"].intake_line_id is None
    assert [d.serial for d in intake.unmatched_devices(station)] == ["NOBODY"]
    assert by_serial.id and by_imei.id and stranger.id
    # Unmatched phones are assigned by hand, to a line or just to a customer.
    with pytest.raises(StationError, match="already matched"):
        intake.assign(station, BOSS, "R58N1", org=ACME)
    dev = intake.assign(station, BOSS, "NOBODY", org=OTHER)
    assert dev.customer_id is not None and intake.unmatched_devices(station) == []


def test_a_phone_without_serial_or_imei_is_simply_unmatched(station: StationContext) -> None:
    # An iPhone that refused "Trust" reveals neither; it must not break detection.
    dev = plug_in(station, "")
    assert dev.id is not None and dev.intake_line_id is None


def test_lines_imported_after_the_phone_arrived_match_at_import(
    station: StationContext, tmp_path: Path
) -> None:
    plug_in(station, "EARLY1")
    result = _import(station, tmp_path, f"org;serial\n{ACME};EARLY1\n".encode())
    assert result.matched == 1 and intake.unmatched_devices(station) == []


def test_technician_typed_imei_matches_the_announced_return(
    station: StationContext, tmp_path: Path
) -> None:
    from wipe_station.orchestrator.records import set_imei

    _import(station, tmp_path, f"org;imei\n{ACME};{GOOD_IMEI}\n".encode())
    dev = plug_in(station, "NOIMEI")  # an Android phone that does not reveal its IMEI
    assert dev.id is not None and dev.intake_line_id is None
    set_imei(station, BOSS, dev.id, GOOD_IMEI)
    assert intake.unmatched_devices(station) == []


def test_intake_cli_reports_line_numbers_and_exit_code(
    station: StationContext,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.logistics.conftest import cli_as, run_cli

    cli_as(station, db_url, monkeypatch, "logistics")
    path = tmp_path / "in.csv"
    path.write_bytes(f"org;serial\r\n{ACME};A1\r\nbad;A2\r\n".encode())
    code, out, err = run_cli(capsys, monkeypatch, "intake", "import", str(path))
    assert code == 1 and "loaded 1 of 2 rows" in out and f"{path}:3:" in err
    code, out, _ = run_cli(capsys, monkeypatch, "intake", "list", "--unmatched")
    assert code == 0 and "A1" in out and "waiting" in out
