"""A phone left at a given point of its erasure, written through the engine's own records calls,
as a station stopped at that instant would leave it."""

from __future__ import annotations

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
