"""One phone from identification to a verified (or failed, or interrupted) erasure.

The single place where driver exceptions become outcomes: a phone that left the bus is
INTERRUPTED, a garbled or lying phone FAILED, and only a clean verification is VERIFIED.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from drivers.contract import (
    Blocker,
    DeviceFacts,
    DeviceGone,
    DriverError,
    EvidenceItem,
    GarbledReply,
    Outcome,
    PhoneDriver,
    Progress,
)

Confirm = Callable[[DeviceFacts, list[Blocker]], Awaitable[bool]]


@dataclass
class PipelineResult:
    outcome: Outcome | None  # None: stopped before erasing (blocked or not confirmed)
    reason: str
    facts: DeviceFacts | None = None
    blockers: list[Blocker] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    erasure_class: str | None = None
    reusable: bool = True
    method: str = ""
    stage: str = ""  # where it ended: identify, blockers, erase, wait, verify

    @property
    def blocked(self) -> bool:
        return self.outcome is None and any(b.blocking for b in self.blockers)


async def wipe_phone(
    driver: PhoneDriver,
    progress: Progress,
    *,
    confirm: Confirm | None = None,
    return_timeout_s: float = 900.0,
) -> PipelineResult:
    result = PipelineResult(None, "")
    try:
        result.stage = "identify"
        result.facts, evidence = await driver.identify()
        result.evidence += evidence
        result.stage = "blockers"
        result.blockers, evidence = await driver.blockers()
        result.evidence += evidence
        if any(b.blocking for b in result.blockers):
            result.reason = "; ".join(b.message for b in result.blockers if b.blocking)
            return result
        if confirm is not None and not await confirm(result.facts, result.blockers):
            result.reason = "not confirmed"
            return result
        result.stage = "erase"
        result.evidence += await driver.erase(progress)
        result.method = str(getattr(driver, "method_used", ""))
        result.stage = "wait"
        result.evidence += await driver.wait_for_return(return_timeout_s, progress)
        result.stage = "verify"
        verified = await driver.verify(progress)
    except DeviceGone as exc:
        result.outcome, result.reason = Outcome.INTERRUPTED, f"{result.stage}: {exc}"
        return result
    except GarbledReply as exc:
        result.outcome, result.reason = Outcome.FAILED, f"{result.stage}: {exc}"
        return result
    except DriverError as exc:
        result.outcome, result.reason = Outcome.FAILED, f"{result.stage}: {exc}"
        return result
    result.evidence += verified.evidence
    result.outcome, result.reason = verified.outcome, verified.reason
    result.erasure_class, result.reusable = verified.erasure_class, verified.reusable
    return result
