"""One station process per home: a second is refused, naming the first; a crash leaves no lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wipe_station.startup import HomeLocked, start_station

HOLD = """
import sys, time
from pathlib import Path
from wipe_station.startup import start_station
started = start_station(Path(sys.argv[1]), None, create=True)
print("started", flush=True)
time.sleep(60)
"""


def _holder(home: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started", proc.stderr.read() if proc.stderr else ""
    return proc


def test_a_second_process_on_the_home_is_refused_and_a_killed_one_frees_it(home: Path) -> None:
    holder = _holder(home)
    try:
        with pytest.raises(HomeLocked, match=f"pid {holder.pid}.*one station per home"):
            start_station(home, None)
    finally:
        holder.kill()  # as a power cut would: no clean stop
        holder.wait(timeout=10)
    started = start_station(home, None)  # the kernel dropped the lock with the process
    try:
        with pytest.raises(HomeLocked):
            start_station(home, None)  # also within one process
    finally:
        started.stop()


def test_the_cli_says_so_in_one_line(home: Path) -> None:
    holder = _holder(home)
    try:
        env = {**os.environ, "WIPE_STATION_HOME": str(home)}
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "wipe_station.cli.main", "demo", "--headless", "--phones", "1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert time.monotonic() - started < 30  # refused at once, not after a wait
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("error: another Wipe Station process")
        assert "Traceback" not in done.stderr
    finally:
        holder.kill()
        holder.wait(timeout=10)
