"""Five years of records (issue 30): listings page newest first and count; exports, samples and
listings stream their rows (a server-side cursor on PostgreSQL) instead of loading them all."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import event, update

from tests.logistics.conftest import ACME, BOSS, certified_phone, cli_as, run_cli
from wipe_station import auditor_exports, listings
from wipe_station.context import StationContext
from wipe_station.db.models import Customer, Device


def _phones(station: StationContext, count: int) -> list[str]:
    return [certified_phone(station, f"ST{i:03d}").serial for i in range(count)]


def test_certificate_list_is_newest_first_limited_and_counted(
    station: StationContext, db_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    serials = _phones(station, 7)
    with station.session() as s:
        acme = s.exec(Customer.__table__.select().where(Customer.org_number == ACME)).first()
        s.execute(
            update(Device).where(Device.serial.in_(serials[:3])).values(customer_id=acme.id)  # type: ignore[attr-defined]
        )
    cli_as(station, db_url, monkeypatch, "logistics")

    code, out, err = run_cli(capsys, monkeypatch, "certificate", "list", "--limit", "3")
    lines = out.splitlines()
    assert code == 0, err
    assert [ln.split()[-1] for ln in lines[:3]] == ["ST006", "ST005", "ST004"]
    assert lines[3] == "the newest 3 of 7 certificates (--limit 0 lists them all)"

    code, out, _ = run_cli(capsys, monkeypatch, "certificate", "list")
    assert out.splitlines()[-1] == "7 certificates" and out.index("ST006") < out.index("ST000")

    code, out, _ = run_cli(capsys, monkeypatch, "certificate", "list", "--customer", ACME)
    assert [ln.split()[-1] for ln in out.splitlines()[:-1]] == ["ST002", "ST001", "ST000"]
    assert out.splitlines()[-1] == "3 certificates"

    code, out, _ = run_cli(capsys, monkeypatch, "certificate", "list", "--since", "2099-01-01")
    assert code == 0 and out.strip() == "no certificates"

    code, _, err = run_cli(capsys, monkeypatch, "certificate", "list", "--customer", "123456785")
    assert code != 0 and "no customer with organisation number 123456785" in err


@pytest.fixture
def cursors(station: StationContext) -> list[tuple[object, dict[str, object]]]:
    """Every DBAPI cursor a streamed select ran on, with its execution options."""
    seen: list[tuple[object, dict[str, object]]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if context.execution_options.get("stream_results"):
            seen.append((cursor, dict(context.execution_options)))

    event.listen(station.engine, "after_cursor_execute", record)
    yield seen
    event.remove(station.engine, "after_cursor_execute", record)


def test_export_writes_as_it_reads_holding_a_chunk_of_rows(
    station: StationContext, cursors, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    serials = _phones(station, 9)
    monkeypatch.setattr(listings, "CHUNK", 2)
    monkeypatch.setattr(auditor_exports, "_ROWS_A_PIECE", 1)
    written = auditor_exports.Written()
    pieces = auditor_exports.export_text(station, BOSS, "certificates", "csv", written=written)
    first = next(pieces)
    # The header and one row written, the select still open on a cursor that has read at most
    # a chunk.
    assert first.startswith("number,") and "ST000" in first and "ST001" not in first
    assert written.count == 1
    (cursor, options), *_ = cursors
    assert options["yield_per"] == 2
    if station.engine.dialect.name == "postgresql":
        import psycopg

        # A server-side (named) cursor: the server holds the rows not yet read.
        assert isinstance(cursor, psycopg.ServerCursor)
        assert cursor.rownumber is not None and cursor.rownumber <= 2
    rest = "".join(pieces)
    rows = list(csv.reader(io.StringIO(first + rest)))
    assert [r[6] for r in rows[1:]] == serials and written.count == 9


def test_export_cli_streams_csv_and_json_with_the_count(
    station: StationContext, db_url: str, monkeypatch, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    serials = _phones(station, 4)
    monkeypatch.setattr(auditor_exports, "_ROWS_A_PIECE", 3)
    cli_as(station, db_url, monkeypatch, "auditor")
    out_json = tmp_path / "all.json"
    code, out, _ = run_cli(capsys, monkeypatch, "export", "certificates", "-o", str(out_json))
    assert code == 0 and out.strip() == f"wrote 4 certificates rows to {out_json}"
    doc = json.loads(out_json.read_text())
    assert doc["count"] == 4 and [r["serial"] for r in doc["rows"]] == serials
    out_csv = tmp_path / "ev.csv"
    code, out, _ = run_cli(capsys, monkeypatch, "export", "evidence", "-o", str(out_csv))
    rows = list(csv.reader(out_csv.open()))
    assert code == 0 and len(rows) == 1 + 4 * 2 and out.startswith("wrote 8 evidence rows")


def test_sample_streams_numbers_and_draws_as_before(station: StationContext, cursors) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    _phones(station, 10)
    all_rows = auditor_exports.certificates(station, BOSS)
    chosen = auditor_exports.sample(station, BOSS, 30, "seed-1")
    ranked = sorted(
        all_rows, key=lambda r: hashlib.sha256(f"seed-1\x00{r.number}".encode()).hexdigest()
    )
    assert [r.number for r in chosen] == sorted(r.number for r in ranked[:3])
    assert chosen[0] in all_rows  # the whole export row, batch and signed facts
    assert cursors, "the population is read through a streamed select"


def test_intake_and_batch_listings_are_newest_first_and_counted(
    station: StationContext, db_url: str, monkeypatch, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from wipe_station import batches, intake

    path = tmp_path / "in.csv"
    path.write_text("org;serial\n" + "".join(f"{ACME};L{i}\n" for i in range(5)))
    assert intake.import_csv(station, BOSS, path).errors == []
    certified_phone(station, "L1")  # matched to its line
    codes = [batches.create_batch(station, BOSS, "Recycler").code for _ in range(3)]
    batches.add_phone(station, BOSS, codes[0], "L1")
    cli_as(station, db_url, monkeypatch, "logistics")

    code, out, _ = run_cli(capsys, monkeypatch, "intake", "list", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and "L4" in lines[0] and "L3" in lines[1]
    assert lines[2] == "the newest 2 of 5 intake lines (--limit 0 lists them all)"
    code, out, _ = run_cli(capsys, monkeypatch, "intake", "list", "--unmatched")
    assert "L1" not in out and out.splitlines()[-1] == "4 intake lines waiting for a phone"
    code, out, _ = run_cli(capsys, monkeypatch, "intake", "list", "--limit", "0")
    assert "matched L1" in out and out.splitlines()[-1] == "5 intake lines"

    code, out, _ = run_cli(capsys, monkeypatch, "batch", "list", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(codes[2]) and lines[1].startswith(codes[1])
    assert lines[2] == "the newest 2 of 3 batches (--limit 0 lists them all)"
    code, out, _ = run_cli(capsys, monkeypatch, "batch", "list")
    assert out.splitlines()[-2].startswith(codes[0]) and "    1 phones" in out.splitlines()[-2]
    assert out.splitlines()[-1] == "3 batches"


def test_all_certified_takes_this_stations_phones(
    station: StationContext, db_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from wipe_station import batches
    from wipe_station.db.models import Station

    certified_phone(station, "HERE1")
    there = certified_phone(station, "THERE1")
    with station.session() as s:
        s.add(Station(id="OTHER1", name="Bench 2", public_key_pem="-"))
        s.flush()
        s.execute(update(Device).where(Device.id == there.id).values(station_id="OTHER1"))  # type: ignore[arg-type]
    code = batches.create_batch(station, BOSS, "Recycler").code
    cli_as(station, db_url, monkeypatch, "logistics")
    rc, out, _ = run_cli(capsys, monkeypatch, "batch", "add", code, "--all-certified")
    assert rc == 0 and out.strip() == "added HERE1"
    rc, out, _ = run_cli(capsys, monkeypatch, "batch", "add", code, "--all-certified")
    assert rc == 2
    rc, out, _ = run_cli(
        capsys, monkeypatch, "batch", "add", code, "--all-certified", "--station", "OTHER1"
    )
    assert rc == 0 and out.strip() == "added THERE1"
