"""SIGTERM (systemd stopping the service) and SIGINT (Ctrl-C) mid-erase: the station stops
taking work, lets its writes commit, marks what it cut off, stops the lab, removes its temporary
files and exits 143 / 130 without a traceback. The station runs in its own process, the lab in
another (demo --headless goes through the real station's start-up)."""

from __future__ import annotations

import configparser
import contextlib
import os
import pty
import signal
import sys
import time
from pathlib import Path
from select import select as select_fds

import pytest
from sqlmodel import col, select

from tests.accidents.bench import IN_FLIGHT_STATES, demo_mid_erase
from wipe_station import startup
from wipe_station.audit.store import verify_database
from wipe_station.context import open_station
from wipe_station.db.models import Device, WipeJob


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_erase_stops_the_station_cleanly(
    tmp_path: Path, signum: int, status: int
) -> None:
    home, scratch = tmp_path / "home", tmp_path / "tmp"
    scratch.mkdir()
    proc = demo_mid_erase(home, TMPDIR=str(scratch))
    try:
        assert list(scratch.glob("ws-lab-*"))  # the lab's folder, while it runs
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == status, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert "stopped by a signal" in err
    assert list(scratch.glob("ws-lab-*")) == []  # the lab stopped and its folder went
    ctx = open_station(home, None)
    try:
        with ctx.session() as s:
            states = [d.state for d in s.exec(select(Device)).all()]
            assert not [st for st in states if st in IN_FLIGHT_STATES], states
            assert "interrupted" in states or "certified" in states
            assert s.exec(select(WipeJob).where(col(WipeJob.ended_at).is_(None))).all() == []
            (report,) = verify_database(s, ctx.identity)
            assert report.ok, report.problem
            assert report.unsigned_tail == 0  # the chain head was signed on the way out
    finally:
        ctx.engine.dispose()
    assert not (home / "station.lock").read_text().strip()  # released


def test_the_systemd_unit_matches_the_station() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(Path(__file__).parents[2] / "udev" / "wipe-station.service")
    service = unit["Service"]
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
    assert service["KillMode"] == "mixed"  # the station stops the lab itself
    clean = {int(x) for x in service["SuccessExitStatus"].split()}
    assert clean == {startup.EXIT_SIGHUP, startup.EXIT_SIGINT, startup.EXIT_SIGTERM}
    assert service["RestartPreventExitStatus"] == "2"  # a locked home or a lost database


def test_the_station_ui_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """The UI (in a terminal of its own) through the same start-up: SIGTERM exits 143, the home
    is released and the lab's folder is gone."""
    home, scratch = tmp_path / "home", tmp_path / "tmp"
    scratch.mkdir()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the station UI in the pseudo-terminal
        env = {**os.environ, "WIPE_STATION_HOME": str(home), "TMPDIR": str(scratch)}
        env.pop("WIPE_STATION_DB", None)
        argv = [sys.executable, "-m", "wipe_station.cli.main", "demo", "--phones", "1"]
        os.execve(sys.executable, argv, env)
    seen = b""
    deadline = time.monotonic() + 90
    try:
        while b"Sign in" not in seen:
            assert time.monotonic() < deadline, seen[-2000:]
            ready, _, _ = select_fds([fd], [], [], 1)
            if ready:
                seen += os.read(fd, 65536)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while True:  # keep reading: a full terminal would block the child's last writes
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            assert time.monotonic() < deadline, "the UI did not stop"
            with contextlib.suppress(OSError):
                if select_fds([fd], [], [], 0.2)[0]:
                    seen += os.read(fd, 65536)
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 143, seen[-2000:]
    assert b"Traceback" not in seen
    assert list(scratch.glob("ws-lab-*")) == []
    startup.start_station(home, None).stop()  # the home was released
