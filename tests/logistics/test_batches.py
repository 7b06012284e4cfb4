"""Recycling batches: only certified phones go in, once; a handed-over batch is frozen; the
manifest read back from the PDF and the CSV lists every phone with its certificate."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import select

from certificates.manifest import SignedManifest, render_manifest
from certificates.manifest_verify import verify_manifest_pdf
from tests.logistics.conftest import BOSS, TECH, certified_phone, cli_as, plug_in, run_cli
from wipe_station import batches
from wipe_station.context import StationContext
from wipe_station.db.models import Device
from wipe_station.errors import StationError
from wipe_station.lifecycle import DeviceState
from wipe_station.orchestrator.records import set_state

IMEI = "356938035643809"


def _state(station: StationContext, serial: str) -> str:
    with station.session() as s:
        return s.exec(select(Device.state).where(Device.serial == serial)).one()


def test_batch_rules_refuse_with_reasons(station: StationContext) -> None:
    certified_phone(station, "OK1", imeis=(IMEI,))
    certified_phone(station, "OK2")
    plug_in(station, "RAW1")  # detected, never erased
    quarantined = certified_phone(station, "Q1")
    assert quarantined.id is not None
    set_state(station, TECH, quarantined.id, DeviceState.QUARANTINED, reason="cracked screen")

    b = batches.create_batch(station, BOSS, "Miljøretur AS")
    assert b.code.startswith(f"RB-{station.station_id}-") and b.state == "open"
    batches.add_phone(station, BOSS, b.code, IMEI)  # scanned IMEI finds OK1
    assert _state(station, "OK1") == "in_batch"
    with pytest.raises(StationError, match=r"OK1 is already in batch RB-"):
        batches.add_phone(station, BOSS, b.code, "OK1")
    with pytest.raises(StationError, match="RAW1 is not certified"):
        batches.add_phone(station, BOSS, b.code, "RAW1")
    with pytest.raises(StationError, match="Q1 is quarantined"):
        batches.add_phone(station, BOSS, b.code, "Q1")
    with pytest.raises(StationError, match="no phone with serial or IMEI"):
        batches.add_phone(station, BOSS, b.code, "NOPE")
    other = batches.create_batch(station, BOSS, "Other recycler")
    with pytest.raises(StationError, match="already in batch"):
        batches.add_phone(station, BOSS, other.code, "OK1")
    with pytest.raises(StationError, match="is empty"):
        batches.close_batch(station, BOSS, other.code)

    batches.add_phone(station, BOSS, b.code, "OK2")
    batches.remove_phone(station, BOSS, b.code, "OK2")
    assert _state(station, "OK2") == "certified"
    batches.add_phone(station, BOSS, b.code, "OK2")
    with pytest.raises(StationError, match="still open"):
        batches.hand_over(station, BOSS, b.code, "Ola")
    batches.close_batch(station, BOSS, b.code)
    with pytest.raises(StationError, match="closed: no changes"):
        batches.remove_phone(station, BOSS, b.code, "OK2")
    batches.hand_over(station, BOSS, b.code, "Ola Mottaker")
    assert _state(station, "OK1") == _state(station, "OK2") == "handed_over"
    # Frozen: nothing changes any more.
    for action in (
        lambda: batches.add_phone(station, BOSS, b.code, "OK1"),
        lambda: batches.remove_phone(station, BOSS, b.code, "OK1"),
        lambda: batches.close_batch(station, BOSS, b.code),
        lambda: batches.hand_over(station, BOSS, b.code, "Someone"),
    ):
        with pytest.raises(StationError):
            action()
    [summary] = [x for x in batches.list_batches(station) if x.code == b.code]
    assert (summary.state, summary.phones, summary.received_by) == (
        "handed_over",
        2,
        "Ola Mottaker",
    )


def test_manifest_pdf_and_csv_read_back(station: StationContext, tmp_path: Path) -> None:
    numbers = {}
    b = batches.create_batch(station, BOSS, "Miljøretur AS")
    for i in range(12):
        serial = f"SER{i:03d}"
        dev = certified_phone(station, serial)
        batches.add_phone(station, BOSS, b.code, serial)
        numbers[serial] = dev.id
    batches.close_batch(station, BOSS, b.code)
    batches.hand_over(station, BOSS, b.code, "Ola Mottaker")
    doc = batches.manifest(station, BOSS, b.code)
    assert isinstance(doc, SignedManifest)
    m = doc.manifest
    assert m.handed_over_at and len(m.phones) == 12 and m.received_by == "Ola Mottaker"
    pdf = render_manifest(doc)
    assert verify_manifest_pdf(pdf, station.identity.public_key_pem().encode()) == doc
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for phone in m.phones:
        assert phone.serial_number in text and phone.certificate_number in text
    assert b.code in text and "Miljøretur AS" in text and "12" in text
    assert "Signatur" in text or "Signature" in text
    rows = list(csv.reader(io.StringIO(batches.manifest_csv(doc))))
    assert rows[0][:5] == ["batch", "platform", "manufacturer", "model", "serial"]
    body = [r for r in rows[1:] if r and r[0] == b.code]
    assert sorted(r[4] for r in body) == sorted(numbers)
    assert all(r[7].startswith(f"WS-{station.station_id}-") for r in body)
    assert ["total", "12"] in rows


def test_batch_cli_flow_with_exit_codes(
    station: StationContext,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_as(station, db_url, monkeypatch, "logistics")
    certified_phone(station, "C1")
    certified_phone(station, "C2")
    plug_in(station, "RAW")
    code, out, _ = run_cli(capsys, monkeypatch, "batch", "create", "--recycler", "Miljøretur AS")
    assert code == 0
    bcode = out.strip()
    code, out, err = run_cli(capsys, monkeypatch, "batch", "add", bcode, "C1", "RAW")
    assert code == 1 and "added C1" in out and "refused RAW" in err and "not certified" in err
    code, out, _ = run_cli(capsys, monkeypatch, "batch", "add", bcode, "--all-certified")
    assert code == 0 and "added C2" in out
    assert run_cli(capsys, monkeypatch, "batch", "close", bcode)[0] == 0
    code, out, _ = run_cli(capsys, monkeypatch, "batch", "handover", bcode, "--received-by", "Ola")
    assert code == 0
    pdf, csv_path = tmp_path / "m.pdf", tmp_path / "m.csv"
    assert run_cli(capsys, monkeypatch, "batch", "manifest", bcode, "-o", str(pdf))[0] == 0
    assert run_cli(capsys, monkeypatch, "batch", "manifest", bcode, "-o", str(csv_path))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF") and "C1" in csv_path.read_text()
    code, _, err = run_cli(capsys, monkeypatch, "batch", "manifest", bcode, "-o", "m.txt")
    assert code == 2 and ".pdf or .csv" in err
    code, out, _ = run_cli(capsys, monkeypatch, "batch", "list")
    assert bcode in out and "handed_over" in out and "2 phones" in out
