"""`audit verify` resumes from the last signed checkpoint a verification passed (issue 30):
it finds a change made after that checkpoint, leaves one before it to `--full`, and says which
it did and at what rate."""

from __future__ import annotations

import re

from sqlalchemy import text

from tests.logistics.conftest import BOSS, cli_as, run_cli
from wipe_station.audit import log as audit
from wipe_station.context import StationContext


def _events(station: StationContext, count: int) -> None:
    with station.session() as s:
        audit.append_many(
            s, station.identity, BOSS, [audit.Pending("test.event", {"i": i}) for i in range(count)]
        )


def _tamper(station: StationContext, seq: int) -> None:
    with station.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET payload = :p WHERE station_id = :s AND seq = :q"),
            {"p": '{"i": -1}', "s": station.station_id, "q": seq},
        )


def _last_event(station: StationContext) -> int:
    with station.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(seq) FROM audit_events")).scalar_one())


def test_verify_resumes_after_the_checkpoint_and_full_walks_all(
    station: StationContext, db_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    _events(station, 200)
    cli_as(station, db_url, monkeypatch, "auditor")
    code, out, err = run_cli(capsys, monkeypatch, "audit", "verify")
    assert code == 0, err
    assert "resumed" not in out and re.search(r"checked \d+ events in [\d.]+ s", out)
    first_total = _last_event(station)

    # Signed checkpoints every 64 events: the mark is the last one the walk passed.
    mark = first_total // 64 * 64
    _events(station, 70)  # a checkpoint past the mark, and events after it
    code, out, _ = run_cli(capsys, monkeypatch, "audit", "verify")
    assert code == 0
    assert f"resumed from the signed checkpoint at #{mark} verified before" in out
    # Only the events since the mark were walked (the verification appends none itself).
    walked = int(re.search(r"checked (\d+) events", out)[1])  # type: ignore[index]
    assert walked == _last_event(station) - mark

    # A change before the mark: the resumed walk does not look there; --full does.
    _tamper(station, 10)
    code, out, _ = run_cli(capsys, monkeypatch, "audit", "verify")
    assert code == 0 and "resumed from the signed checkpoint" in out
    code, _, err = run_cli(capsys, monkeypatch, "audit", "verify", "--full")
    assert code == 1 and "event #10 (test.event" in err and "stored contents were changed" in err


def test_a_change_after_the_checkpoint_is_found_when_resuming(
    station: StationContext, db_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    _events(station, 150)
    cli_as(station, db_url, monkeypatch, "auditor")
    assert run_cli(capsys, monkeypatch, "audit", "verify")[0] == 0
    _events(station, 100)
    target = _last_event(station) - 5
    _tamper(station, target)
    code, _, err = run_cli(capsys, monkeypatch, "audit", "verify")
    assert code == 1 and f"event #{target} (test.event" in err


def test_a_mark_the_database_no_longer_holds_means_a_full_walk(
    station: StationContext, db_url: str, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    _events(station, 150)
    cli_as(station, db_url, monkeypatch, "auditor")
    assert run_cli(capsys, monkeypatch, "audit", "verify")[0] == 0
    # Someone rewrote the chain up to the mark and its checkpoint (they cannot sign it): the
    # resumed walk cannot start there, so it walks everything and finds the change.
    _tamper(station, 3)
    with station.engine.begin() as conn:
        conn.execute(text("UPDATE audit_checkpoints SET head_hash = 'x' WHERE seq = 128"))
    code, _, err = run_cli(capsys, monkeypatch, "audit", "verify")
    assert code == 1 and "BROKEN" in err
