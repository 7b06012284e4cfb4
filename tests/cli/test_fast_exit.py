"""The `wipe-station` command (`cli.main.run`) leaves without Python's teardown once its work
is done: everything it printed arrives whole through a pipe, its exit status is the command's,
and its station is closed first (SQLite's log folded back into the database file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stdnum.no import orgnr

from wipe_station.audit.log import Actor
from wipe_station.context import open_station
from wipe_station.customers import add_customer
from wipe_station.operators import add_operator

RUN = [sys.executable, "-c", "from wipe_station.cli.main import run; run()"]


def _command(home: Path, *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        WIPE_STATION_HOME=str(home),
        WIPE_STATION_OPERATOR="boss",
        WIPE_STATION_PIN="4321",
        CI="true",
    )
    env.pop("WIPE_STATION_DB", None)
    return subprocess.run(
        [*RUN, *argv], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def _orgs(count: int, first: int = 90_000_000) -> list[str]:
    """``count`` valid Norwegian organisation numbers (stdnum's mod-11 check), in order."""
    found: list[str] = []
    for body in range(first, first + 10 * count):
        found += [n for d in "0123456789" if orgnr.is_valid(n := f"{body}{d}")][:1]
        if len(found) == count:
            break
    return found


def test_output_arrives_whole_and_the_station_is_closed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ctx = open_station(home, None)
    try:
        add_operator(ctx, "boss", "admin", "4321", by=None)
        orgs = _orgs(1500)
        for org in orgs:
            add_customer(ctx, Actor("setup"), org, f"Customer {org} AS", None)
    finally:
        ctx.close()

    # More than a pipe holds at once: what is still buffered at the end is written out.
    listed = _command(home, "customers", "list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == orgs

    # A command that writes leaves the database closed: no write-ahead log left beside it.
    (late,) = _orgs(1, first=80_000_000)
    added = _command(home, "customers", "add", late, "--name", "Late AS")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added ")
    assert (home / "station.db").exists() and not (home / "station.db-wal").exists()


def test_the_exit_status_is_the_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ctx = open_station(home, None)
    try:
        add_operator(ctx, "boss", "admin", "4321", by=None)
    finally:
        ctx.close()
    missing = _command(home, "intake", "import", str(tmp_path / "nowhere.csv"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: cannot read {tmp_path / 'nowhere.csv'}: " + (
        "No such file or directory"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("org;serial\n123;SN1\n")
    refused = _command(home, "intake", "import", str(bad))
    assert refused.returncode == 1 and "not a valid Norwegian organisation" in refused.stderr
    assert _command(home, "--help").returncode == 0
    assert _command(home, "no-such-command").returncode == 2
