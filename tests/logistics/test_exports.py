"""Auditor exports (CSV/JSON) and the reproducible spot-check sample."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlmodel import select

from tests.logistics.conftest import BOSS, certified_phone, cli_as, run_cli
from wipe_station import auditor_exports
from wipe_station.context import StationContext
from wipe_station.db.models import AuditEvent
from wipe_station.errors import StationError


def test_certificates_and_evidence_export(station: StationContext) -> None:
    for i in range(3):
        certified_phone(station, f"EX{i}")
    certs = auditor_exports.certificates(station, BOSS)
    assert [c.serial for c in certs] == ["EX0", "EX1", "EX2"]
    rows = list(csv.reader(io.StringIO(auditor_exports.to_csv(certs))))
    assert rows[0][0] == "number" and len(rows) == 4 and rows[1][6] == "EX0"
    doc = json.loads(auditor_exports.to_json(certs, "certificates"))
    assert doc["count"] == 3 and doc["rows"][2]["number"] == certs[2].number
    with station.session() as s:
        actions = [e.action for e in s.exec(select(AuditEvent)).all()]
    assert "export.certificates" in actions


def test_sample_is_reproducible_and_sized(station: StationContext) -> None:
    for i in range(20):
        certified_phone(station, f"SM{i:02d}")
    a = auditor_exports.sample(station, BOSS, 10, "2026-Q4")
    b = auditor_exports.sample(station, BOSS, 10, "2026-Q4")
    c = auditor_exports.sample(station, BOSS, 10, "another seed")
    assert len(a) == 2 and [r.number for r in a] == [r.number for r in b]
    assert auditor_exports.sample(station, BOSS, 100, "x")[0].number.startswith("WS-")
    assert len(auditor_exports.sample(station, BOSS, 100, "x")) == 20
    assert len(auditor_exports.sample(station, BOSS, 0.1, "x")) == 1  # at least one
    # Different seeds draw differently (not always the first certificates).
    draws = {
        tuple(r.number for r in auditor_exports.sample(station, BOSS, 10, f"s{i}"))
        for i in range(8)
    }
    assert len(draws) > 1 and c is not None
    with pytest.raises(StationError, match="percent"):
        auditor_exports.sample(station, BOSS, 0, "x")


def test_export_and_sample_cli(
    station: StationContext,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_as(station, db_url, monkeypatch, "auditor")
    for i in range(4):
        certified_phone(station, f"CL{i}")
    out_json = tmp_path / "c.json"
    code, _, _ = run_cli(capsys, monkeypatch, "export", "certificates", "-o", str(out_json))
    assert code == 0 and json.loads(out_json.read_text())["count"] == 4
    evidence = tmp_path / "e.csv"
    code, out, _ = run_cli(capsys, monkeypatch, "export", "evidence", "-o", str(evidence))
    assert code == 0 and "evidence rows" in out and evidence.read_text().startswith("certificate,")
    code, out1, _ = run_cli(
        capsys, monkeypatch, "audit", "sample", "--percent", "50", "--seed", "k"
    )
    code2, out2, _ = run_cli(
        capsys, monkeypatch, "audit", "sample", "--percent", "50", "--seed", "k"
    )
    assert code == code2 == 0 and out1 == out2 and "2 phones drawn" in out1
