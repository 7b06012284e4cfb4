"""Employer reports: aggregate counts only, small counts hidden, no identifier of any kind."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import select

from certificates.report import render_report
from tests.logistics.conftest import ACME, BOSS, OTHER, certified_phone, plug_in
from wipe_station import intake, reports
from wipe_station.context import StationContext
from wipe_station.db.models import Device, IntakeLine
from wipe_station.errors import StationError
from wipe_station.timeutil import utcnow


def _announce(station: StationContext, tmp_path: Path, rows: list[str]) -> None:
    path = tmp_path / "announce.csv"
    path.write_text("org;serial;employee_name;employee_phone\n" + "\n".join(rows) + "\n")
    assert intake.import_csv(station, BOSS, path).errors == []


def test_report_counts_and_hides_small_numbers_and_identifiers(
    station: StationContext, tmp_path: Path
) -> None:
    names = [f"Ansatt Nummer{i}" for i in range(9)]
    phones = [f"+479000{i:04d}" for i in range(9)]
    rows = [f"{ACME};P8-{i};{names[i]};{phones[i]}" for i in range(7)]
    rows += [f"{ACME};S23-{i};{names[7 + i]};{phones[7 + i]}" for i in range(2)]
    rows.append(f"{OTHER};OTHER-1;Someone Else;+4799999999")
    _announce(station, tmp_path, rows)
    for i in range(7):
        certified_phone(station, f"P8-{i}", model="Pixel 8")
    certified_phone(station, "S23-0", model="Galaxy S23")
    plug_in(station, "S23-1", model="Galaxy S23")  # detected, not erased yet
    certified_phone(station, "OTHER-1", model="Pixel 8")  # another customer's

    today = utcnow().date()
    rep = reports.customer_report(
        station, BOSS, ACME, today - timedelta(days=1), today + timedelta(days=1)
    )
    assert [(r.label, r.count) for r in rep.by_month] == [(today.strftime("%Y-%m"), 9)]
    assert {(r.label, r.count) for r in rep.by_model} == {
        ("Google Pixel 8", 7),
        ("Google Galaxy S23", 2),
    }
    outcome = {r.label.split(" / ")[-1]: r.count for r in rep.by_outcome}
    assert outcome == {"Erased and certified": 8, "In progress": 1}

    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_report(rep))).pages)
    csv_text = reports.report_csv(rep)
    csv_rows = list(csv.reader(io.StringIO(csv_text)))
    assert ["model", "Google Galaxy S23", "<5"] in csv_rows
    assert ["model", "Google Pixel 8", "7"] in csv_rows
    assert "<5" in pdf_text and "Galaxy S23" in pdf_text
    with station.session() as s:
        serials = list(s.exec(select(Device.serial)).all())
        imeis = [i for i in s.exec(select(Device.imei)).all() if i]
        people = [
            v
            for line in s.exec(select(IntakeLine)).all()
            for v in (line.employee_name, line.employee_phone)
            if v
        ]
    assert len(people) == 20
    for needle in serials + imeis + people:
        assert needle not in pdf_text and needle not in csv_text, needle


def test_period_and_customer_are_checked(station: StationContext) -> None:
    today = utcnow().date()
    with pytest.raises(StationError, match=r"ends .* before it starts"):
        reports.customer_report(station, BOSS, ACME, today, today - timedelta(days=2))
    with pytest.raises(StationError, match="no customer 123456785"):
        reports.customer_report(station, BOSS, "123456785", today, today)
    rep = reports.customer_report(station, BOSS, ACME, today, today)
    assert rep.by_month == rep.by_model == rep.by_outcome == ()
