"""The station's sequence for one phone, as the orchestrator runs it, for the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from drivers.contract import (
    Blocker,
    DeviceFacts,
    DriverError,
    EvidenceItem,
    VerifyResult,
)
from drivers.emulated.ios import IosLab
from drivers.ios import IosDriver


@dataclass
class Run:
    facts: DeviceFacts | None = None
    blockers: list[Blocker] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)
    error: DriverError | None = None
    result: VerifyResult | None = None


def make_driver(lab: IosLab, udid: str, key_dir: Path, run: Run, **kw: float) -> IosDriver:
    return IosDriver(
        udid,
        key_dir,
        usbmux_address=lab.socket_path,
        progress=run.progress.append,
        trust_timeout_s=kw.get("trust_timeout_s", 0.3),
        poll_s=kw.get("poll_s", 0.02),
    )


async def full_run(
    lab: IosLab, udid: str, key_dir: Path, *, erase_anyway: bool = False, return_s: float = 5.0
) -> Run:
    """identify → blockers → (erase if nothing blocks) → wait_for_return → verify."""
    run = Run()
    driver = make_driver(lab, udid, key_dir, run)
    try:
        run.facts, ev = await driver.identify()
        run.evidence += ev
        run.blockers, ev = await driver.blockers()
        run.evidence += ev
        if erase_anyway or not any(b.blocking for b in run.blockers):
            run.evidence += await driver.erase(run.progress.append)
            run.evidence += await driver.wait_for_return(return_s, run.progress.append)
    except DriverError as exc:
        run.error = exc
    run.result = await driver.verify()
    await driver.close()
    return run
