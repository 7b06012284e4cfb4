"""Damaged pages, a broken audit chain, a write that fails half-way: the station refuses to
certify on what it cannot trust, `audit verify` says BROKEN with where, no half file is left."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.accidents.bench import phone_at
from wipe_station.audit.log import Actor
from wipe_station.context import open_station
from wipe_station.errors import StationError
from wipe_station.lifecycle import DeviceState as S
from wipe_station.operators import add_operator
from wipe_station.startup import start_station

ANNA = Actor("anna", None, "technician")


def _station_with_records(home: Path) -> None:
    ctx = open_station(home, None)
    try:
        add_operator(ctx, "ada", "admin", "1357", by=None)
        for i in range(40):
            phone_at(ctx, ANNA, f"SERDMG{i:03d}", S.VERIFIED)
    finally:
        ctx.close()
    with sqlite3.connect(home / "station.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _damage(db: Path) -> None:
    """Garbage over a few pages near the end of the file, as a failing disk leaves them."""
    page = 4096
    pages = db.stat().st_size // page
    with db.open("r+b") as fh:
        for n in (pages - 6, pages - 4, pages - 2):
            fh.seek(n * page + 16)
            fh.write(os.urandom(600))


def test_damaged_pages_stop_certifying_and_audit_verify_says_broken(home: Path) -> None:
    _station_with_records(home)
    _damage(home / "station.db")
    with pytest.raises(StationError, match="damaged"):
        start_station(home, None)
    env = {
        **os.environ,
        "WIPE_STATION_HOME": str(home),
        "WIPE_STATION_OPERATOR": "ada",
        "WIPE_STATION_PIN": "1357",
    }
    done = subprocess.run(
        [sys.executable, "-m", "wipe_station.cli.main", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # a failed check, never 70 (a crash)
    assert f"BROKEN: the database file {home / 'station.db'} is damaged: " in done.stderr
    assert "page" in done.stderr.lower() or "malformed" in done.stderr, done.stderr


def test_a_broken_audit_chain_stops_certifying(home: Path) -> None:
    ctx = open_station(home, None)
    try:
        phone_at(ctx, ANNA, "SERCHAIN", S.VERIFIED)
        with ctx.session() as s:
            s.exec(text("UPDATE audit_events SET payload = '{}' WHERE seq = 2"))
    finally:
        ctx.engine.dispose()
    with pytest.raises(StationError, match=r"audit chain does not verify.*certifies nothing"):
        start_station(home, None)


def test_start_walks_the_chain_from_its_last_checkpoint_and_full_verify_finds_older_edits(
    home: Path,
) -> None:
    """Start-up checks the events since the last signed checkpoint it (or `audit verify`)
    passed, not five years again; an edit made since is refused at the next start, an edit
    before it is found by `audit verify --full` (docs/decisions.md, issue 30)."""
    ctx = open_station(home, None)
    try:
        add_operator(ctx, "ada", "admin", "1357", by=None)
        phone_at(ctx, ANNA, "SERMARK1", S.VERIFIED)
    finally:
        ctx.close()
    start_station(home, None).stop()  # passes, marks its checkpoint, signs the head on stop
    assert (home / "audit" / "verified.json").is_file()
    # An event from before the mark: the next start does not walk it again.
    with sqlite3.connect(home / "station.db") as conn:
        conn.execute("UPDATE audit_events SET payload = '{}' WHERE seq = 2")
    start_station(home, None).stop()
    env = {
        **os.environ,
        "WIPE_STATION_HOME": str(home),
        "WIPE_STATION_OPERATOR": "ada",
        "WIPE_STATION_PIN": "1357",
    }
    full = subprocess.run(
        [sys.executable, "-m", "wipe_station.cli.main", "audit", "verify", "--full"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert full.returncode == 1, full.stderr
    assert "BROKEN" in full.stderr and "event #2 " in full.stderr, full.stderr
    # An event after the mark: refused at start.
    with sqlite3.connect(home / "station.db") as conn:
        conn.execute("UPDATE audit_events SET payload = '{\"x\": 1}' WHERE seq = 2")
        newest = conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0]
        conn.execute("UPDATE audit_events SET payload = '{}' WHERE seq = ?", (newest,))
    with pytest.raises(StationError, match=r"audit chain does not verify.*certifies nothing"):
        start_station(home, None)


WRITE = """
import resource, signal, sys
from pathlib import Path
from wipe_station.cli.runtime import write_file
from wipe_station.errors import StationError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
try:
    write_file(Path(sys.argv[1]), b"%PDF-1.7 " + b"x" * 200_000)
except StationError as exc:
    print(exc)
"""


def test_a_write_that_fails_half_way_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "out" / "certificate.pdf"
    out.parent.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", WRITE, str(out)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.startswith(f"cannot write {out}: File too large"), done
    assert list(out.parent.iterdir()) == []  # neither a half PDF nor its temporary file
