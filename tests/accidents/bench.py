"""A phone left at a given point of its erasure, written through the engine's own records calls,
as a station stopped at that instant would leave it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from drivers.contract import DeviceFacts, EvidenceItem, Outcome, Platform, VerificationLevel
from drivers.pipeline import PipelineResult
from wipe_station.audit.log import Actor
from wipe_station.context import StationContext
from wipe_station.lifecycle import DeviceState as S
from wipe_station.orchestrator import records


def facts(serial: str) -> DeviceFacts:
    return DeviceFacts(Platform.ANDROID, "Google", "Pixel 8", "shiba", serial, "14")


def items(step: str, n: int = 1) -> list[EvidenceItem]:
    return [EvidenceItem(step, f"{step}_{i}", f"ask {i}", f"answer {i}", True) for i in range(n)]


def phone_at(ctx: StationContext, actor: Actor, serial: str, stage: S | None) -> tuple[int, int]:
    """(device id, job id) of a phone identified and moved up to ``stage`` (None: identified
    only; VERIFIED: verified and not certified)."""
    found = records.identified(ctx, actor, facts(serial), "1-1", items("identify"), emulated=True)
    assert found.job_id is not None and found.device.id is not None
    dev, job = found.device.id, found.job_id
    for state in (S.WIPING, S.REBOOTING, S.VERIFYING):
        if stage is None:
            break
        records.advance(ctx, actor, dev, state, job, items(state.value))
        if stage is state:
            return dev, job
    if stage is S.VERIFIED:
        result = PipelineResult(
            Outcome.VERIFIED,
            "ok",
            facts=facts(serial),
            method="m",
            level=VerificationLevel.READBACK,
        )
        assert records.finish_job(ctx, actor, job, dev, result, items("verify")) is S.VERIFIED
    return dev, job


IN_FLIGHT_STATES = ("wiping", "rebooting", "verifying")


def _states(db: Path) -> list[str]:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return [r[0] for r in conn.execute("SELECT state FROM devices")]
    except sqlite3.Error:
        return []


def demo_mid_erase(home: Path, **env: str) -> subprocess.Popen[str]:
    """`wipe-station demo --headless` (the real station's start-up, the lab in another process)
    on two clean phones that take their time, returned once one of them is being erased."""
    full_env = {**os.environ, "WIPE_STATION_HOME": str(home), **env}
    full_env.pop("WIPE_STATION_DB", None)
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
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while not any(s in IN_FLIGHT_STATES for s in _states(home / "station.db")):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"no phone reached an erasure state: {proc.communicate()[1]}")
        time.sleep(0.05)
    return proc
