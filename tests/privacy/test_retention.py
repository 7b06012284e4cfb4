"""Retention keeps the privacy statement: 7 months after a contract ended, no trace of an
employee's phone number is left in the database file, while certificates stay valid and the
audit log still verifies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.logistics.conftest import (
    ACME,
    BOSS,
    OTHER,
    TECH,
    certified_phone,
    cli_as,
    logistics_station,
    run_cli,
)
from wipe_station import batches, intake, privacy, retention
from wipe_station.audit.store import verify_database
from wipe_station.certify import signed_from_record
from wipe_station.context import StationContext
from wipe_station.customers import set_contract_end
from wipe_station.db.models import (
    AuditEvent,
    AuditPersonal,
    Certificate,
    Device,
    Evidence,
    IntakeLine,
)
from wipe_station.lifecycle import DeviceState
from wipe_station.orchestrator.records import set_state
from wipe_station.timeutil import utcnow

PHONE, NAME, NOTE = "+4791234567", "Kari Nordmann", "Kari Nordmann asked to keep her SIM"
KEPT_PHONE = "+4790000042"


@pytest.fixture
def station(home: Path, db_url: str) -> Iterator[StationContext]:
    yield from logistics_station(home, db_url)


def _setup(station: StationContext, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "org;serial;employee_name;employee_phone;reason\n"
        f"{ACME};EXP1;{NAME};{PHONE};end of lease\n"
        f"{ACME};EXP2;Ola Hansen;+4790000001;swap\n"
        f"{OTHER};KEEP1;Still Employed;{KEPT_PHONE};swap\n"
    )
    assert intake.import_csv(station, BOSS, path).errors == []
    certified_phone(station, "EXP1")
    quarantined = certified_phone(station, "EXP2")
    assert quarantined.id is not None
    set_state(station, TECH, quarantined.id, DeviceState.QUARANTINED, reason=NOTE)
    certified_phone(station, "KEEP1")
    privacy.subject_access(station, BOSS, phone=PHONE, employee=None)
    today = utcnow().date()
    set_contract_end(station, BOSS, ACME, today - timedelta(days=215))  # ~7 months ago
    set_contract_end(station, BOSS, OTHER, today - timedelta(days=150))  # ~5 months ago


def _db_bytes(station: StationContext) -> bytes:
    db = Path(station.engine.url.database or "")
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_a_run_without_vacuum_leaves_no_trace_across_many_pages(
    home: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """`retention run` on SQLite does not VACUUM (a rewrite of the whole file, 24 s at five
    years): secure_delete zeroes what held the values and the WAL is emptied. Shown over a few
    hundred lines spread across many pages of the table and of its indexes."""
    from wipe_station.context import open_station
    from wipe_station.customers import add_customer

    station = open_station(home, sqlite_url)
    try:
        add_customer(station, BOSS, ACME, "Acme AS", None)
        add_customer(station, BOSS, OTHER, "Other AS", None)
        names = [f"Gone Person{i:04d} Qx" for i in range(400)]
        path = tmp_path / "many.csv"
        path.write_text(
            "org;serial;employee_name;employee_phone;reason\n"
            + "".join(
                f"{ACME};MANY{i:04d};{n};+478{i:07d};Left Qx{i:04d}\n" for i, n in enumerate(names)
            )
            + f"{OTHER};KEEPMANY;Still Employed;{KEPT_PHONE};swap\n"
        )
        assert intake.import_csv(station, BOSS, path).errors == []
        set_contract_end(station, BOSS, ACME, utcnow().date() - timedelta(days=215))
        before = _db_bytes(station)
        assert names[0].encode() in before
        # Kept once, on the line: no lower-case copy in the privacy look-up's index.
        assert names[0].lower().encode() not in before
        done = retention.run(station, BOSS, dry_run=False)
        assert "vacuumed" not in done.compacted and "WAL truncated" in done.compacted
        station.engine.dispose()
        after = _db_bytes(station)
        for i, name in enumerate(names):
            for gone in (name, name.lower(), f"+478{i:07d}", f"Left Qx{i:04d}".lower()):
                assert gone.encode() not in after, gone
        assert KEPT_PHONE.encode() in after
        _assert_chain_ok(station)
    finally:
        station.close()


def _assert_chain_ok(station: StationContext) -> None:
    with station.session() as s:
        reports = verify_database(s, station.identity)
    assert reports and all(r.ok for r in reports), [r.summary() for r in reports]


def test_retention_leaves_no_trace_in_the_sqlite_file(
    home: Path, sqlite_url: str, tmp_path: Path
) -> None:
    from wipe_station.context import open_station
    from wipe_station.customers import add_customer

    station = open_station(home, sqlite_url)
    try:
        add_customer(station, BOSS, ACME, "Acme AS", None)
        add_customer(station, BOSS, OTHER, "Other AS", None)
        _setup(station, tmp_path)
        before = _db_bytes(station)
        # The check can fail: the values are on disk before retention runs.
        assert PHONE.encode() in before and NAME.encode() in before
        assert NAME.lower().encode() in before  # in the privacy look-up index

        dry = retention.run(station, BOSS, dry_run=True)
        assert [c.org_number for c in dry.customers] == [ACME]
        assert PHONE.encode() in _db_bytes(station)

        done = retention.run(station, BOSS, dry_run=False)
        # Two lines (their values and salts), and two values behind the chain: the
        # quarantine note and the privacy request's subject. The lines' values are not
        # copied behind the chain.
        assert (done.customers[0].intake_lines, done.customers[0].audit_values) == (2, 2)
        station.engine.dispose()  # close every pooled handle, as a finished command does
        after = _db_bytes(station)
        for gone in (PHONE, NAME, "Ola Hansen", "+4790000001", NOTE, "end of lease"):
            assert gone.encode() not in after, gone
            # The privacy look-up index holds values in lower case.
            assert gone.lower().encode() not in after, gone.lower()
        assert KEPT_PHONE.encode() in after and b"Still Employed" in after

        _assert_chain_ok(station)
        with station.session() as s:
            certs = s.exec(select(Certificate)).all()
            assert len(certs) == 3
            for cert in certs:
                signed_from_record(cert).verify(station.identity.public_key)
            line = s.exec(select(IntakeLine).where(IntakeLine.serial == "EXP1")).one()
            assert line.employee_phone is None and line.anonymised_at is not None
            event = s.exec(
                select(AuditEvent).where(AuditEvent.action == "retention.anonymised")
            ).one()
            assert ACME in event.payload and "6 months after contract end" in event.payload
        # Nothing left to find for that person; a second run has nothing to do.
        assert privacy.subject_access(station, BOSS, phone=PHONE, employee=None)["records"] == []
        assert retention.run(station, BOSS, dry_run=False).customers == []
    finally:
        station.engine.dispose()


def test_retention_on_postgresql_anonymises_and_keeps_the_chain(
    station: StationContext, tmp_path: Path, db_url: str
) -> None:
    _setup(station, tmp_path)
    done = retention.run(station, BOSS, dry_run=False)
    assert done.compacted.startswith(station.engine.dialect.name)
    with station.session() as s:
        phones = [
            x.employee_phone for x in s.exec(select(IntakeLine).order_by(IntakeLine.id)).all()
        ]
        notes = [d.quarantine_reason for d in s.exec(select(Device)).all()]
    assert phones == [None, None, KEPT_PHONE] and NOTE not in notes
    _assert_chain_ok(station)


def test_accounting_records_are_purged_after_five_years(
    station: StationContext, tmp_path: Path
) -> None:
    old = certified_phone(station, "OLD1")
    recent = certified_phone(station, "NEW1")
    here = certified_phone(station, "OLD-STILL-HERE")
    b = batches.create_batch(station, BOSS, "Recycler")
    for serial in ("OLD1", "NEW1"):
        batches.add_phone(station, BOSS, b.code, serial)
    batches.close_batch(station, BOSS, b.code)
    batches.hand_over(station, BOSS, b.code, "Ola")
    long_ago = datetime.now(UTC) - timedelta(days=5 * 365 + 30)
    with station.session() as s:
        for cert in s.exec(select(Certificate)).all():
            if cert.device_id in (old.id, here.id):
                cert.issued_at = long_ago
                s.add(cert)
    plan = retention.run(station, BOSS, dry_run=True)
    assert len(plan.certificates) == 1 and plan.evidence == 2
    retention.run(station, BOSS, dry_run=False)
    with station.session() as s:
        left = {c.device_id for c in s.exec(select(Certificate)).all()}
        evidence_jobs = {e.job_id for e in s.exec(select(Evidence)).all()}
    # Only the old certificate of a phone that left the depot goes; a phone still here keeps it.
    assert left == {recent.id, here.id} and len(evidence_jobs) == 2
    _assert_chain_ok(station)


def test_retention_cli_needs_the_retention_role(
    station: StationContext,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_as(station, db_url, monkeypatch, "admin")
    code, out, _ = run_cli(capsys, monkeypatch, "retention", "run", "--dry-run")
    assert code == 0 and "dry run: nothing was changed" in out
    code, out, _ = run_cli(
        capsys, monkeypatch, "settings", "set", "retention.accounting_years", "7"
    )
    assert code == 0
    code, out, _ = run_cli(capsys, monkeypatch, "retention", "run", "--dry-run")
    assert "7-year accounting period" in out
    code, _, err = run_cli(capsys, monkeypatch, "settings", "set", "retention.personal_months", "0")
    assert code == 2 and "at least 1" in err


def test_add_months_clamps_to_month_end() -> None:
    from datetime import date

    assert retention.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert retention.add_months(date(2026, 1, 15), 6) == date(2026, 7, 15)


def test_free_text_on_phones_without_a_customer_goes_after_hand_over(
    station: StationContext,
) -> None:
    from tests.logistics.conftest import certify, plug_in

    dev = plug_in(station, "STRAY1")
    assert dev.id is not None
    set_state(station, TECH, dev.id, DeviceState.QUARANTINED, reason="Per Olsen's, ask HR")
    set_state(station, TECH, dev.id, DeviceState.DETECTED, reason="released")
    certify(station, dev.id)
    b = batches.create_batch(station, BOSS, "Recycler")
    batches.add_phone(station, BOSS, b.code, "STRAY1")
    batches.close_batch(station, BOSS, b.code)
    batches.hand_over(station, BOSS, b.code, "Ola")
    assert retention.plan(station).unowned_devices == []  # handed over today: kept for now
    with station.session() as s:
        row = s.get(Device, dev.id)
        assert row is not None and row.quarantine_reason == "Per Olsen's, ask HR"
        row.notes = "Per Olsen wants a receipt"
        row.state_since = datetime.now(UTC) - timedelta(days=215)
        s.add(row)
    done = retention.run(station, BOSS, dry_run=False)
    assert done.unowned_devices == [dev.id] and done.unowned_audit_values == 1
    with station.session() as s:
        row = s.get(Device, dev.id)
        assert row is not None and row.notes is None and row.quarantine_reason is None
        values = [p.value for p in s.exec(select(AuditPersonal)).all()]
    assert "Per Olsen's, ask HR" not in values
    _assert_chain_ok(station)


def test_retention_stopped_part_way_is_finished_by_the_next_run(
    station: StationContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of one row, the run stopped (Ctrl-C) in its third batch: what was done stays
    done, the next run anonymises the rest, and the customer's audit event is written once."""
    _setup(station, tmp_path)
    monkeypatch.setattr(retention, "BATCH", 1)
    original = retention._in_batches
    batches_run = 0

    def stopped_in_the_third(ctx, ids, change):  # type: ignore[no-untyped-def]
        def counted(batch):  # type: ignore[no-untyped-def]
            nonlocal batches_run
            batches_run += 1
            if batches_run == 3:
                raise KeyboardInterrupt
            return change(batch)

        return original(ctx, ids, counted)

    monkeypatch.setattr(retention, "_in_batches", stopped_in_the_third)
    with pytest.raises(KeyboardInterrupt):
        retention.run(station, BOSS, dry_run=False)
    with station.session() as s:
        erased = s.exec(select(AuditPersonal).where(AuditPersonal.value == None)).all()  # noqa: E711
    assert len(erased) == 2  # two whole batches, the third rolled back
    plan = retention.plan(station)
    assert [c.org_number for c in plan.customers] == [ACME]  # still due: not all done

    monkeypatch.setattr(retention, "_in_batches", original)
    done = retention.run(station, BOSS, dry_run=False)
    assert [c.org_number for c in done.customers] == [ACME]
    with station.session() as s:
        lines = s.exec(select(IntakeLine).where(IntakeLine.serial.in_(["EXP1", "EXP2"]))).all()  # type: ignore[attr-defined]
        assert all(x.employee_phone is None and x.anonymised_at for x in lines)
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "retention.anonymised")).all()
        assert len(events) == 1
    # Done now, and known to be done without looking at its records again.
    assert retention.plan(station).customers == []
    assert retention.run(station, BOSS, dry_run=False).customers == []
    _assert_chain_ok(station)
