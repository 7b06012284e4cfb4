"""Done-when for depot logistics: a demo run's certified phones go into a batch that is closed,
handed over and printed; the customer report shows the right counts and no identifying data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import select

from tests.logistics.conftest import run_cli
from wipe_station.context import open_station
from wipe_station.db.models import Device, IntakeLine, WipeJob
from wipe_station.orchestrator.demo_home import DEMO_CUSTOMER_ORG, DEMO_PIN


def test_demo_run_to_handover_and_report(
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, _ = run_cli(capsys, monkeypatch, "demo", "--headless", "--phones", "10")
    assert code == 0 and "phones=10" in out
    monkeypatch.setenv("WIPE_STATION_OPERATOR", "demo-logistics")
    monkeypatch.setenv("WIPE_STATION_PIN", DEMO_PIN)
    ctx = open_station(home)
    with ctx.session() as s:
        devices = list(s.exec(select(Device)).all())
        lines = list(s.exec(select(IntakeLine)).all())
        levels = {
            job.device_id: job.verification_level
            for job in s.exec(select(WipeJob).where(WipeJob.outcome == "verified")).all()
        }
    ctx.engine.dispose()
    certified = sorted(d.serial for d in devices if d.state == "certified")
    announced = [d for d in devices if d.customer_id is not None]
    assert certified and len(announced) == 9  # every eighth phone was not on the return list

    code, out, _ = run_cli(capsys, monkeypatch, "batch", "create", "--recycler", "Miljøretur AS")
    bcode = out.strip()
    code, out, _ = run_cli(capsys, monkeypatch, "batch", "add", bcode, "--all-certified")
    assert code == 0 and out.count("added") == len(certified)
    assert run_cli(capsys, monkeypatch, "batch", "close", bcode)[0] == 0
    assert run_cli(capsys, monkeypatch, "batch", "handover", bcode, "--received-by", "Ola")[0] == 0
    pdf = tmp_path / "manifest.pdf"
    assert run_cli(capsys, monkeypatch, "batch", "manifest", bcode, "-o", str(pdf))[0] == 0
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert all(serial in text for serial in certified)

    report = tmp_path / "report.csv"
    code, _, _ = run_cli(
        capsys,
        monkeypatch,
        "report",
        "customer",
        DEMO_CUSTOMER_ORG,
        "--from",
        "2026-01-01",
        "--to",
        "2099-12-31",
        "-o",
        str(report),
    )
    assert code == 0
    body = report.read_text()
    rows = list(csv.reader(io.StringIO(body)))
    # Handed-over phones are counted by how their erasure was verified, one row per level.
    handed: dict[str, int] = {}
    for d in announced:
        if d.serial in certified:
            handed[levels[d.id]] = handed.get(levels[d.id], 0) + 1
    label = "Erased, handed over for recycling"
    shown = {r[1]: r[2] for r in rows if r[0] == "outcome" and label in r[1]}
    words = {"readback": "read back from the phone", "attested": "attested by the technician"}
    assert sorted(words[level] for level in handed) == sorted(
        w for w in words.values() if any(w in k for k in shown)
    )
    for level, count in handed.items():
        [value] = [v for k, v in shown.items() if words[level] in k]
        assert value == (str(count) if count >= 5 else "<5")
    months = [r for r in rows if r[0] == "month"]
    assert len(months) == 1 and months[0][2] == "9"
    for d in devices:
        assert d.serial not in body and (d.imei is None or d.imei not in body)
    for line in lines:
        assert line.employee_name and line.employee_name not in body
        assert line.employee_phone and line.employee_phone not in body
