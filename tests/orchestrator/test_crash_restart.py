"""Kill the station mid-erase (SIGKILL, as a power cut would); check the records after restart."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import select

from wipe_station.audit.store import verify_database
from wipe_station.context import open_station
from wipe_station.db.models import Device, WipeJob
from wipe_station.operators import actor_of
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.orchestrator.records import interrupt_in_flight


def _states(db: Path) -> list[str]:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return [r[0] for r in conn.execute("SELECT state FROM devices")]
    except sqlite3.Error:
        return []


def test_killed_mid_erase_restarts_with_the_erasure_interrupted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "WIPE_STATION_HOME": str(home)}
    env.pop("WIPE_STATION_DB", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wipe_station.cli.main",
            "demo",
            "--headless",
            "--phones",
            "2",
            "--clean-only",
            "--real-delays",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(s in ("wiping", "rebooting", "verifying") for s in _states(home / "station.db")):
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
        else:
            raise AssertionError("no phone reached an erasure state")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    ctx = open_station(home, None)
    try:
        actor = actor_of(demo_operator(ctx, None, None))
        with ctx.session() as s:
            before = {d.id: d.state for d in s.exec(select(Device)).all()}
        in_flight = [i for i, st in before.items() if st in ("wiping", "rebooting", "verifying")]
        assert in_flight
        assert sorted(interrupt_in_flight(ctx, actor)) == sorted(in_flight)
        with ctx.session() as s:
            for dev_id in in_flight:
                dev = s.get(Device, dev_id)
                assert dev is not None and dev.state == "interrupted"
                job = s.exec(select(WipeJob).where(WipeJob.device_id == dev_id)).one()
                assert job.outcome == "interrupted" and job.ended_at is not None
            (report,) = verify_database(s, ctx.identity)
        assert report.ok, report.problem
        assert interrupt_in_flight(ctx, actor) == []  # nothing left to interrupt
    finally:
        ctx.close()
