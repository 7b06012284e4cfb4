"""Kill the station mid-erase (SIGKILL, as a power cut would); the next start (the one start-up
path: wipe_station.startup) settles what it left."""

from __future__ import annotations

import signal
from pathlib import Path

from sqlmodel import select

from tests.accidents.bench import IN_FLIGHT_STATES, demo_mid_erase
from wipe_station.audit.store import verify_database
from wipe_station.db.models import AuditEvent, Device, WipeJob
from wipe_station.startup import start_station


def test_killed_mid_erase_restarts_with_the_erasure_interrupted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # A killed station cannot remove its lab's folder: it goes in the test's own place.
    proc = demo_mid_erase(home, TMPDIR=str(tmp_path))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)

    started = start_station(home, None)  # the lock died with the process
    try:
        ctx = started.ctx
        assert started.recovery.interrupted
        with ctx.session() as s:
            for dev_id in started.recovery.interrupted:
                dev = s.get(Device, dev_id)
                assert dev is not None and dev.state == "interrupted"
                job = s.exec(select(WipeJob).where(WipeJob.device_id == dev_id)).one()
                assert job.outcome == "interrupted" and job.ended_at is not None
            states = [d.state for d in s.exec(select(Device)).all()]
            assert not [st for st in states if st in IN_FLIGHT_STATES]
            interrupted = s.exec(
                select(AuditEvent).where(AuditEvent.action == "device.state")
            ).all()
            assert sum('"to":"interrupted"' in e.payload for e in interrupted) == len(
                started.recovery.interrupted
            )
            (report,) = verify_database(s, ctx.identity)
        assert report.ok, report.problem
    finally:
        started.stop()
    again = start_station(home, None)
    try:
        assert again.recovery.interrupted == []  # nothing left to interrupt
    finally:
        again.stop()
