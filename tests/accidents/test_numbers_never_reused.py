"""A certificate number the station has issued is never issued again, whatever happened to its
database: lost, emptied, another station's, or restored from an older backup."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from tests.accidents.bench import phone_at
from wipe_station.audit.log import Actor
from wipe_station.certify import issue_certificate
from wipe_station.context import LostDatabase, open_station
from wipe_station.db.models import AuditEvent
from wipe_station.identity import load_or_create
from wipe_station.lifecycle import DeviceState as S

ANNA = Actor("anna", None, "technician")


def _certify(home: Path, serial: str, db_url: str | None = None) -> str:
    ctx = open_station(home, db_url)
    try:
        _, job = phone_at(ctx, ANNA, serial, S.VERIFIED)
        return issue_certificate(ctx, job, ANNA).number
    finally:
        ctx.close()


def _cli(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WIPE_STATION_HOME": str(home)}
    env.pop("WIPE_STATION_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "wipe_station.cli.main", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_deleted_database_is_refused_and_no_empty_one_is_made(home: Path) -> None:
    first = _certify(home, "SER1")
    (home / "station.db").unlink()
    for suffix in ("-wal", "-shm"):
        (home / f"station.db{suffix}").unlink(missing_ok=True)
    with pytest.raises(LostDatabase, match=r"is missing.*Restore the database"):
        open_station(home, None)
    assert not (home / "station.db").exists()
    # The CLI: one line, exit 2, and `users add` is no way in either.
    done = _cli(home, "users", "add", "eve", "--role", "admin", "--pin-stdin", stdin="1111\n")
    assert done.returncode == 2 and "station start-over" in done.stderr, done.stderr
    assert first.endswith("-000001")


def test_an_empty_or_foreign_database_is_refused(
    home: Path, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _certify(home, "SER1")
    with pytest.raises(LostDatabase, match="is empty"):
        open_station(home, pg_url)
    monkeypatch.setenv("WIPE_STATION_ID", "OTHER1")
    other = tmp_path / "other"
    _certify(other, "SER9")
    monkeypatch.delenv("WIPE_STATION_ID")
    with pytest.raises(LostDatabase, match="another station's"):
        open_station(home, f"sqlite:///{other / 'station.db'}")


def test_start_over_retires_the_old_numbers(home: Path) -> None:
    _certify(home, "SER1")
    _certify(home, "SER2")
    (home / "station.db").unlink()
    station_id = load_or_create(home).station_id
    refused = _cli(home, "station", "start-over", "--confirm", "WRONG")
    assert refused.returncode == 2 and "not this station's id" in refused.stderr
    done = _cli(home, "station", "start-over", "--confirm", station_id)
    assert done.returncode == 0, done.stderr
    assert "up to 000002" in done.stdout
    again = _cli(home, "station", "start-over", "--confirm", station_id)
    assert again.returncode == 2 and "nothing to start over" in again.stderr
    # The first admin of the new database, as on a brand-new home.
    added = _cli(home, "users", "add", "ada", "--role", "admin", "--pin-stdin", stdin="1357\n")
    assert added.returncode == 0, added.stderr
    assert _certify(home, "SER3").endswith("-000003")  # never 000001 again
    ctx = open_station(home, None)
    try:
        with ctx.session() as s:
            event = s.exec(
                select(AuditEvent).where(AuditEvent.action == "station.started_over")
            ).one()
            assert '"retired_up_to"' in event.payload
    finally:
        ctx.close()


def test_a_database_restored_from_an_older_backup_numbers_on(home: Path, tmp_path: Path) -> None:
    _certify(home, "SER1")
    backup = tmp_path / "backup.db"
    with sqlite3.connect(home / "station.db") as src, sqlite3.connect(backup) as dst:
        src.backup(dst)  # a consistent copy, as `sqlite3 station.db .backup` makes one
    assert _certify(home, "SER2").endswith("-000002")
    for suffix in ("", "-wal", "-shm"):
        (home / f"station.db{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, home / "station.db")
    assert _certify(home, "SER3").endswith("-000003")  # 000002 is not given out again
    ctx = open_station(home, None)
    try:
        with ctx.session() as s:
            assert s.exec(select(AuditEvent).where(AuditEvent.action == "numbering.resumed")).one()
    finally:
        ctx.close()


def test_the_first_admin_needs_a_brand_new_station(home: Path) -> None:
    _certify(home, "SER1")  # records, but no operator (made through the records directly)
    done = _cli(home, "users", "add", "eve", "--role", "admin", "--pin-stdin", stdin="1111\n")
    assert done.returncode == 2 and "brand-new" in done.stderr, done.stderr
    fresh = home.parent / "fresh"
    ok = _cli(fresh, "users", "add", "ada", "--role", "admin", "--pin-stdin", stdin="1357\n")
    assert ok.returncode == 0, ok.stderr
