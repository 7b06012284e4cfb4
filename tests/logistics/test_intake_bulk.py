"""The bulk paths of a large intake import (issue 19): the same rows, errors, audit bytes and
hashes as the one-at-a-time paths they replace, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, text
from sqlmodel import Session, col, select
from stdnum import imei as stdnum_imei
from stdnum import luhn
from stdnum.exceptions import ValidationError

from tests.logistics.conftest import ACME, BOSS, OTHER, plug_in
from wipe_station import intake
from wipe_station.audit import log as audit
from wipe_station.audit.store import verify_database
from wipe_station.context import StationContext
from wipe_station.db import bulk, lengths
from wipe_station.db.models import (
    LINE_PERSONAL_VALUES,
    AuditEvent,
    AuditPersonal,
    Customer,
    IntakeLine,
)
from wipe_station.errors import StationError


def _imei(i: int) -> str:
    body = f"35{i:012d}"
    return body + luhn.calc_check_digit(body)


def _import(station: StationContext, tmp_path: Path, body: str) -> intake.ImportResult:
    path = tmp_path / "big.csv"
    path.write_text(body, encoding="utf-8")
    return intake.import_csv(station, BOSS, path)


def test_bad_rows_in_a_big_file_are_reported_by_line(
    station: StationContext, tmp_path: Path
) -> None:
    """Bad rows among thousands (past every statement and look-up chunk) are named by their
    line, the others load with their own line numbers, and the chain verifies."""
    rows = [f"{ACME},SN{i:06d},{_imei(i)},Employee {i},+47 4{i:07d},lease end" for i in range(2500)]
    bad_imei = _imei(1200)[:-1] + str((int(_imei(1200)[-1]) + 1) % 10)
    rows[1200] = f"{ACME},SN001200,{bad_imei},Employee,,"  # line 1202: check digit
    rows[1700] = f"{ACME},SN000005,,Dup,,"  # line 1702: serial of line 7
    rows[1800] = f"{ACME},SN001800,,Na\x00me,,"  # line 1802: NUL
    rows[2100] = "123456785,SN002100,,Unknown,,"  # line 2102: no such customer
    rows[2499] = f"{ACME},SN002499,,{'x' * 201},,"  # line 2501: name too long
    rows[300] = f"{OTHER},SN000300,{_imei(300)},,,"  # another customer, no personal data
    header = "org_number,serial,imei,employee_name,employee_phone,reason\n"
    result = _import(station, tmp_path, header + "\n".join(rows) + "\n")

    assert result.rows == 2500
    assert [(e.line, e.message) for e in result.errors] == [
        (
            1202,
            f"IMEI {bad_imei!r} is not valid (The number's checksum or check digit is invalid.)",
        ),
        (1702, "the same phone as line 7"),
        (1802, "the employee_name cell holds a NUL character"),
        (2102, "no customer 123456785 (add it with `customers add`)"),
        (2501, "employee name is longer than 200 characters"),
    ]
    assert len(result.loaded) == 2495
    with station.session() as s:
        lines = {x.id: x for x in s.exec(select(IntakeLine)).all()}
        # Each id the import returns is the line of the file it names.
        loaded = [lines[i] for i in result.loaded]
        assert [x.line_no for x in loaded] == sorted(x.line_no for x in loaded)
        assert all(x.serial == f"SN{x.line_no - 2:06d}" for x in loaded)
        assert lines[result.loaded[0]].employee_phone == "+4740000000"
        events = s.exec(
            select(AuditEvent).where(AuditEvent.action == "intake.line").order_by(AuditEvent.seq)
        ).all()
        payloads = [json.loads(e.payload) for e in events]
        assert [(p["intake_line"], p["line"]) for p in payloads] == [
            (x.id, x.line_no) for x in loaded
        ]
        assert "personal" not in payloads[300] and payloads[300]["customer"] == OTHER
        # Each line names its event and keeps the salt its values are committed with; no
        # copy of them goes to audit_personal.
        assert not s.exec(select(AuditPersonal)).all()
        for line, event, payload in zip(loaded, events, payloads, strict=True):
            assert (line.audit_station, line.audit_seq) == (station.station_id, event.seq)
            held = {f: v for f in LINE_PERSONAL_VALUES if (v := getattr(line, f)) is not None}
            if not held:
                assert line.personal_salt is None and "personal" not in payload
                continue
            assert line.personal_salt is not None
            salt = bytes.fromhex(line.personal_salt)
            assert payload["personal"] == {
                f: hashlib.sha256(salt + f.encode() + b"\0" + v.encode()).hexdigest()
                for f, v in held.items()
            }
        assert len({x.personal_salt for x in loaded}) == 2495  # 2,494 salts and one None
        assert not [r for r in verify_database(s, station.identity) if not r.ok]


def _audit_rows(s: Session, first_seq: int) -> dict[str, list[tuple[Any, ...]]]:
    """What the chain stores from ``first_seq`` on, ids replaced by sequence numbers."""
    params = {"q": first_seq}
    events = s.execute(
        text(
            "SELECT seq, at, operator, action, device_id, payload, prev_hash, hash "
            "FROM audit_events WHERE seq >= :q ORDER BY seq"
        ),
        params,
    ).all()
    personal = s.execute(
        text(
            "SELECT e.seq, p.customer_id, p.field, p.salt, p.value FROM audit_personal p "
            "JOIN audit_events e ON e.id = p.event_id WHERE e.seq >= :q "
            # `append` writes an event's values in the order given, the bulk path (as
            # before issue 19) in field order; the salts follow field order in both.
            "ORDER BY e.seq, p.field"
        ),
        params,
    ).all()
    checkpoints = s.execute(
        text(
            "SELECT seq, head_hash, at, signature FROM audit_checkpoints "
            "WHERE seq >= :q ORDER BY seq"
        ),
        params,
    ).all()
    return {
        "events": [tuple(r) for r in events],
        "personal": [tuple(r) for r in personal],
        "checkpoints": [tuple(r) for r in checkpoints],
    }


class _Rollback(Exception):
    pass


def test_append_many_writes_the_bytes_append_writes(
    station: StationContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same events through `append_many` and through `append` one at a time, with the same
    randomness and clock: the same payload bytes, hashes, commitments and signed checkpoints."""
    with station.session() as s:
        cust = s.exec(select(Customer).where(Customer.org_number == ACME)).one()
        first = audit._locked_head(s, station.station_id).last_seq + 1
    events = [
        audit.Pending(
            "intake.line",
            {"intake_line": i, "customer": ACME, "serial": f"SNÆ{i}", "imei": None, "line": i},
            device_id=None if i % 3 else i,
            personal=(
                {"reason": 'ÆØÅ \u2028 "quoted"', "employee_name": f"Åse {i}"} if i % 4 else None
            ),
            owner=cust.id,
        )
        for i in range(140)  # past two checkpoints (every 64 events)
    ]
    clock = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
    monkeypatch.setattr(audit, "utcnow", lambda: clock)
    stream = bytearray()
    counter = itertools.count()

    def urandom(n: int) -> bytes:  # one stream, however it is drawn
        while len(stream) < n:
            stream.extend(hashlib.sha256(str(next(counter)).encode()).digest())
        out = bytes(stream[:n])
        del stream[:n]
        return out

    monkeypatch.setattr(os, "urandom", urandom)

    def run(write: Any) -> dict[str, list[tuple[Any, ...]]]:
        nonlocal counter
        stream.clear()
        counter = itertools.count()
        try:
            with station.session() as s:
                write(s)
                s.flush()
                rows = _audit_rows(s, first)
                raise _Rollback  # the second run writes the same sequence numbers
        except _Rollback:
            pass
        return rows

    def one_by_one(s: Session) -> None:
        for ev in events:
            audit.append_pending(s, station.identity, BOSS, ev)

    bulk_rows = run(lambda s: audit.append_many(s, station.identity, BOSS, events))
    single_rows = run(one_by_one)
    assert len(bulk_rows["events"]) == 140 and len(bulk_rows["checkpoints"]) == 2
    assert len(bulk_rows["personal"]) == 2 * 105
    assert bulk_rows == single_rows


def _stdnum_imei(raw: str) -> str:
    """`intake.normalise_imei` as it was before its fast path: stdnum for every value."""
    digits = re.sub(r"[\s\-/]", "", raw)
    try:
        return str(stdnum_imei.validate(digits))[:15]
    except ValidationError as exc:
        raise StationError(f"IMEI {raw!r} is not valid ({exc})") from exc


def _outcome(fn: Any, raw: str) -> tuple[str, str]:
    try:
        return ("ok", fn(raw))
    except StationError as exc:
        return ("error", str(exc))


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=13, max_size=17),
        st.text(alphabet="0123456789 -/\t٣３O", min_size=0, max_size=20),
        st.integers(0, 10**14 - 1).map(lambda n: _imei(n % 10**12)),
    )
)
def test_imei_fast_path_answers_as_stdnum(raw: str) -> None:
    assert _outcome(intake.normalise_imei, raw) == _outcome(_stdnum_imei, raw)


def test_imei_every_wrong_check_digit_is_refused() -> None:
    good = _imei(123456)
    for digit in "0123456789":
        raw = good[:-1] + digit
        assert _outcome(intake.normalise_imei, raw) == _outcome(_stdnum_imei, raw)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab,;\r\n\x0b\x85\u2028", max_size=60))
def test_first_lines_are_splitlines(text_: str) -> None:
    assert intake._first_lines(text_, 5) == text_.splitlines(keepends=True)[:5]


def test_first_lines_of_a_long_file() -> None:
    # A CR-LF cut by the 64 KiB prefix, and lines longer than the prefix.
    for text_ in (
        "h\r\n" * 4 + "x" * (65536 - 13) + "\r\n" + "y\r\n",
        "x" * 70000 + "\n" + "y\n" * 10,
        "a\n" * 3 + "b" * 65530 + "\r",
    ):
        assert intake._first_lines(text_, 5) == text_.splitlines(keepends=True)[:5]


def _raw_lines(s: Session) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in s.execute(
            text(
                "SELECT customer_id, serial, imei, employee_name, employee_phone, reason, "
                "source_file, line_no, imported_at, anonymised_at FROM intake_lines ORDER BY id"
            )
        ).all()
    ]


def test_insert_tuples_stores_what_a_core_insert_stores(station: StationContext) -> None:
    """The driver path processes values as SQLAlchemy would (an aware UTC datetime to the
    backend's form) and returns each row's id in the order given."""
    keys = ("customer_id", "serial", "imei", "source_file", "line_no", "imported_at")
    with station.session() as s:
        cust = s.exec(select(Customer).where(Customer.org_number == ACME)).one()
        now = datetime(2026, 11, 30, 13, 14, 15, 161718, tzinfo=UTC)
        rows = [
            (cust.id, f"S{i}", None if i % 2 else _imei(i), "f.csv", 2500 - i, now)
            for i in range(2500)  # several statements
        ]
        s.execute(insert(IntakeLine.__table__), [dict(zip(keys, r, strict=True)) for r in rows])
        core = _raw_lines(s)
        s.execute(text("DELETE FROM intake_lines"))
        ids = bulk.insert_tuples(s, IntakeLine, keys, rows, key="line_no")
        assert _raw_lines(s) == core
        by_id = {x.id: x for x in s.exec(select(IntakeLine)).all()}
        assert [by_id[i].serial for i in ids] == [r[1] for r in rows]
        assert by_id[ids[0]].imported_at == now


def test_bulk_inserts_fall_back_to_sqlalchemy(
    station: StationContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A driver parameter style not written here goes through SQLAlchemy's own insert, with
    the same rows and ids."""
    keys = ("customer_id", "serial", "source_file", "line_no", "imported_at")
    now = datetime(2026, 11, 30, 13, 14, 15, tzinfo=UTC)
    with station.session() as s:
        cust = s.exec(select(Customer).where(Customer.org_number == ACME)).one()
        rows = [(cust.id, f"S{i}", "f.csv", i, now) for i in range(7)]
        ids = bulk.insert_tuples(s, IntakeLine, keys, rows, key="serial")
        bulk.insert_plain_tuples(s, IntakeLine, keys, rows)
        expected = _raw_lines(s)
        s.execute(text("DELETE FROM intake_lines"))
        monkeypatch.setattr(bulk, "_PLACEHOLDER", {})
        core_ids = bulk.insert_tuples(s, IntakeLine, keys, rows, key="serial")
        bulk.insert_plain_tuples(s, IntakeLine, keys, rows)
        assert _raw_lines(s) == expected
        serials = {x.id: x.serial for x in s.exec(select(IntakeLine)).all()}
        assert [serials[i] for i in core_ids] == [r[1] for r in rows]
        assert len(ids) == len(core_ids) == 7


def test_bulk_length_check_names_the_field(station: StationContext) -> None:
    too_long = [{"customer_id": 1, "serial": "x" * 65, "source_file": "f", "line_no": 1}]
    with (
        station.session() as s,
        pytest.raises(lengths.TooLong, match=r"intake_lines\.serial is at most 64"),
    ):
        bulk.insert_rows(s, IntakeLine, too_long, key="line_no")
    # Values without a length in a text column are left to the database, as before.
    bulk.check_columns(IntakeLine, ("serial", "reason"), [(None, ""), (12, "why")])
    with pytest.raises(lengths.TooLong, match=r"intake_lines\.reason is at most 200"):
        bulk.check_columns(IntakeLine, ("serial", "reason"), [(12, "x" * 201)])


def test_select_in_pads_the_last_chunk(station: StationContext, tmp_path: Path) -> None:
    body = "org,serial\n" + "".join(f"{ACME},K{i}\n" for i in range(11))
    _import(station, tmp_path, body)
    wanted = [f"K{i}" for i in range(0, 11, 2)] + ["missing"]
    with station.session() as s:
        found = bulk.select_in(
            s,
            lambda match: select(IntakeLine.serial).where(match(col(IntakeLine.serial))),
            wanted,
            chunk=4,
        )
    assert sorted(r[0] for r in found) == sorted(wanted[:-1])


def test_an_import_finds_what_open_line_finds_for_each_phone(
    station: StationContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline's look-ups (by serial and by IMEI, a batch at a time, across batches)
    refuse a phone announced before and still waiting with the earliest such line, as
    `_open_line` finds it; a phone matched since, or never announced, loads."""
    body = "org,serial,imei\n" + "".join(f"{ACME},W{i},{_imei(i)}\n" for i in range(40))
    body += f"{ACME},W0,\n"  # a second announcement of W0 is refused, the earliest wins
    first = _import(station, tmp_path, body)
    assert [e.line for e in first.errors] == [42]
    plug_in(station, "W3")  # matched at once: no longer waiting
    # Odd rows come with a serial never announced: only their IMEI finds the earlier line.
    rows = [(f"W{i}" if i % 2 == 0 else f"X{i}", _imei(i)) for i in range(60)]
    expected: dict[int, str] = {}
    with station.session() as s:
        for i, (serial, imei) in enumerate(rows):
            found = [
                line
                for line in (intake._open_line(s, serial, None), intake._open_line(s, None, imei))
                if line is not None
            ]
            if found:
                first_line = min(found, key=lambda x: x.id or 0)
                expected[i + 2] = (
                    f"already announced ({first_line.source_file} line {first_line.line_no})"
                )
    assert 3 + 2 not in expected and {7 + 2, 8 + 2} <= expected.keys()
    assert 45 + 2 not in expected
    monkeypatch.setattr(intake, "_BATCH", 7)  # look-ups and writes over nine batches
    body = "org,serial,imei\n" + "".join(f"{ACME},{serial},{imei}\n" for serial, imei in rows)
    second = _import(station, tmp_path, body)
    assert {e.line: e.message for e in second.errors} == expected
    assert len(second.loaded) == 60 - len(expected)


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with bulk.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk.gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
