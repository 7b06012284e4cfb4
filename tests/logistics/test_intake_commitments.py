"""An intake line keeps its personal values once, with the salt its intake.line event's
commitments are made with (docs/decisions.md, 2026-12-08): `audit verify` tests the line's own
values against the chain, so changing them, or moving a line to another event, is found like a
change to audit_personal was; retention erases values and salt together; lines imported before
(their values committed through audit_personal) verify, are found and are erased as before."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from tests.logistics.conftest import ACME, BOSS, cli_as, run_cli
from wipe_station import intake, privacy, retention
from wipe_station.audit import log as audit
from wipe_station.audit.store import verify_database
from wipe_station.context import StationContext
from wipe_station.customers import set_contract_end
from wipe_station.db.models import AuditPersonal, IntakeLine
from wipe_station.timeutil import utcnow


def _import(station: StationContext, tmp_path: Path, body: str, name: str = "in.csv") -> None:
    path = tmp_path / name
    path.write_text("org;serial;employee_name;employee_phone;reason\n" + body)
    assert intake.import_csv(station, BOSS, path).errors == []


def _problem(station: StationContext) -> str | None:
    with station.session() as s:
        bad = [r for r in verify_database(s, station.identity) if not r.ok]
    return bad[0].problem if bad else None


def _sql(station: StationContext, stmt: str, **params: object) -> None:
    with station.engine.begin() as conn:
        conn.execute(text(stmt), params)


def _line(station: StationContext, serial: str) -> IntakeLine:
    with station.session() as s:
        return s.exec(select(IntakeLine).where(IntakeLine.serial == serial)).one()


@pytest.fixture
def two_lines(station: StationContext, tmp_path: Path) -> StationContext:
    _import(station, tmp_path, f"{ACME};COM1;Kari Nordmann;+4791234567;lease end\n{ACME};COM2;;;\n")
    assert _problem(station) is None
    return station


@pytest.mark.parametrize(
    ("change", "found"),
    [
        # Another value where Kari's was.
        (
            "UPDATE intake_lines SET employee_name = 'Ola Hansen' WHERE serial = 'COM1'",
            "the personal values of intake line",
        ),
        # A value added to a line that had none: nothing commits to it.
        (
            "UPDATE intake_lines SET employee_phone = '+4790000000' WHERE serial = 'COM2'",
            "the personal values of intake line",
        ),
        # The salt erased, the values kept: they could no longer be tested.
        (
            "UPDATE intake_lines SET personal_salt = NULL WHERE serial = 'COM1'",
            "the personal values of intake line",
        ),
        # One of the values erased alone.
        (
            "UPDATE intake_lines SET reason = NULL WHERE serial = 'COM1'",
            "the personal values of intake line",
        ),
        # The line pointed at another event, and at one the chain does not hold.
        (
            "UPDATE intake_lines SET audit_seq = 1 WHERE serial = 'COM1'",
            "which is not its intake.line event",
        ),
        (
            "UPDATE intake_lines SET audit_seq = 999999 WHERE serial = 'COM1'",
            "which the chain does not hold",
        ),
    ],
)
def test_a_change_to_a_line_is_found_by_audit_verify(
    two_lines: StationContext, change: str, found: str
) -> None:
    _sql(two_lines, change)
    assert found in (_problem(two_lines) or "")


def test_values_and_salt_erased_together_are_not_a_break(two_lines: StationContext) -> None:
    """What retention does: the commitments stay in the chain and can no longer be tested."""
    _sql(
        two_lines,
        "UPDATE intake_lines SET employee_name = NULL, employee_phone = NULL, reason = NULL, "
        "personal_salt = NULL WHERE serial = 'COM1'",
    )
    assert _problem(two_lines) is None


def test_two_lines_cannot_name_one_event(two_lines: StationContext) -> None:
    first = _line(two_lines, "COM1")
    with pytest.raises(IntegrityError):
        _sql(
            two_lines,
            "UPDATE intake_lines SET audit_seq = :q WHERE serial = 'COM2'",
            q=first.audit_seq,
        )


def _kept(salt: str, field: str, value: str) -> str:
    """The commitment to a value kept on its line, as docs/decisions.md (2026-12-08) gives it:
    SHA-256 of the line's salt, the field's name, a NUL and the value."""
    return hashlib.sha256(bytes.fromhex(salt) + f"{field}\0{value}".encode()).hexdigest()


def test_the_same_text_in_two_fields_commits_differently(
    station: StationContext, tmp_path: Path
) -> None:
    _import(station, tmp_path, f"{ACME};SAME1;Kari;;Kari\n")
    line = _line(station, "SAME1")
    with station.session() as s:
        payload = s.execute(
            text("SELECT payload FROM audit_events WHERE seq = :q"), {"q": line.audit_seq}
        ).scalar_one()
    chained = json.loads(payload)["personal"]
    assert line.personal_salt is not None
    assert chained == {
        "employee_name": _kept(line.personal_salt, "employee_name", "Kari"),
        "reason": _kept(line.personal_salt, "reason", "Kari"),
    }
    assert chained["employee_name"] != chained["reason"]


def test_resumed_verification_tests_lines_after_its_mark(
    station: StationContext, tmp_path: Path, db_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    """`audit verify` (and start-up) resume from a mark: a line imported after it and changed
    is found there; one imported before it is left to `--full`, as events are."""
    _import(station, tmp_path, f"{ACME};OLD1;Kari Nordmann;+4791234567;\n", "old.csv")
    with station.session() as s:  # past a signed checkpoint, so the mark is after OLD1
        audit.append_many(
            s, station.identity, BOSS, [audit.Pending("test.event", {"i": i}) for i in range(70)]
        )
    cli_as(station, db_url, monkeypatch, "auditor")
    assert run_cli(capsys, monkeypatch, "audit", "verify")[0] == 0
    _import(station, tmp_path, f"{ACME};NEW1;Ola Hansen;+4790000001;\n", "new.csv")

    _sql(station, "UPDATE intake_lines SET employee_name = 'Per' WHERE serial = 'NEW1'")
    code, out, err = run_cli(capsys, monkeypatch, "audit", "verify")
    assert code == 1 and "the personal values of intake line" in err
    _sql(station, "UPDATE intake_lines SET employee_name = 'Ola Hansen' WHERE serial = 'NEW1'")
    assert run_cli(capsys, monkeypatch, "audit", "verify")[0] == 0

    _sql(station, "UPDATE intake_lines SET employee_name = 'Per' WHERE serial = 'OLD1'")
    code, out, _ = run_cli(capsys, monkeypatch, "audit", "verify")
    assert code == 0 and "resumed from the signed checkpoint" in out
    code, _, err = run_cli(capsys, monkeypatch, "audit", "verify", "--full")
    assert code == 1 and "the personal values of intake line" in err


def _line_from_before(station: StationContext) -> None:
    """A line as imports wrote it before 2026-12-08: no event named on it, its values
    committed through audit_personal."""
    with station.session() as s:
        cust_id = s.execute(text("SELECT id FROM customers WHERE org_number = :o"), {"o": ACME})
        owner = int(cust_id.scalar_one())
        line = IntakeLine(
            customer_id=owner,
            serial="PRE1",
            employee_name="Kari Nordmann",
            employee_phone="+4791234567",
            source_file="before.csv",
            line_no=2,
        )
        s.add(line)
        s.flush()
        audit.append(
            s,
            station.identity,
            BOSS,
            "intake.line",
            {"intake_line": line.id, "customer": ACME, "serial": "PRE1", "imei": None},
            personal={"employee_name": "Kari Nordmann", "employee_phone": "+4791234567"},
            owner=owner,
        )


def test_lines_from_before_verify_are_found_and_are_erased(
    station: StationContext, tmp_path: Path
) -> None:
    _line_from_before(station)
    _import(station, tmp_path, f"{ACME};NOW1;Kari Nordmann;+4791234567;\n")
    assert _problem(station) is None

    # A privacy export points at both lines' events, whichever way they were committed.
    report = privacy.subject_access(station, BOSS, phone="+47 912 34 567", employee=None)
    assert [r["announced_return"]["serial"] for r in report["records"]] == ["PRE1", "NOW1"]
    mentions = [(m["action"], m["field"]) for m in report["audit_log_mentions"]]
    assert mentions == [
        ("intake.line", "employee_phone"),
        ("intake.line", "employee_phone"),
    ]
    seqs = [m["seq"] for m in report["audit_log_mentions"]]
    assert seqs == sorted(seqs) and seqs[1] == _line(station, "NOW1").audit_seq

    # The old line's value behind the chain is still checked.
    _sql(station, "UPDATE audit_personal SET value = 'Ola' WHERE field = 'employee_name'")
    assert "employee_name does not match" in (_problem(station) or "")
    _sql(station, "UPDATE audit_personal SET value = 'Kari Nordmann' WHERE field = 'employee_name'")

    # Retention erases both layouts, and the chain still verifies.
    set_contract_end(station, BOSS, ACME, utcnow().date().replace(year=utcnow().year - 2))
    done = retention.run(station, BOSS, dry_run=False)
    assert [c.org_number for c in done.customers] == [ACME]
    with station.session() as s:
        lines = s.exec(select(IntakeLine)).all()
        assert all(
            (x.employee_name, x.employee_phone, x.personal_salt) == (None, None, None)
            for x in lines
        )
        # The privacy request's own subject and the old line's values: all erased.
        assert all(p.value is None and p.salt is None for p in s.exec(select(AuditPersonal)))
    assert _problem(station) is None


def test_the_event_commits_to_what_the_line_holds(two_lines: StationContext) -> None:
    line = _line(two_lines, "COM1")
    with two_lines.session() as s:
        payload = s.execute(
            text("SELECT payload FROM audit_events WHERE station_id = :s AND seq = :q"),
            {"s": line.audit_station, "q": line.audit_seq},
        ).scalar_one()
    assert line.personal_salt is not None
    assert json.loads(payload)["personal"] == {
        f: _kept(line.personal_salt, f, v)
        for f, v in (
            ("employee_name", "Kari Nordmann"),
            ("employee_phone", "+4791234567"),
            ("reason", "lease end"),
        )
    }
    assert "Kari" not in payload
