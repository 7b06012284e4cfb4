"""One phone from identification to a verified (or failed, or interrupted) erasure.

The single place where driver exceptions become outcomes: a phone that left the bus is
INTERRUPTED, a garbled or lying phone FAILED, and only a clean verification is VERIFIED.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from drivers.contract import (
    ActivationLock,
    Attest,
    Blocker,
    DeviceFacts,
    DeviceGone,
    DriverError,
    EvidenceItem,
    GarbledReply,
    Outcome,
    PhoneDriver,
    Progress,
    VerificationLevel,
)

Confirm = Callable[[DeviceFacts, list[Blocker]], Awaitable[bool]]
# Called before each stage (and after identify/blockers) so the caller can record the state
# change before the phone is touched: "identified", "checked", "erase", "wait", "verify".
StageHook = Callable[[str, "PipelineResult"], Awaitable[None]]


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
    route: str = ""  # the driver's reset route code, e.g. "test_harness"
    level: VerificationLevel | None = None
    activation_lock: ActivationLock | None = None
    activation_lock_reason: str = ""
    quarantine: bool = False  # erased but locked to its owner: back to the customer
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
    on_stage: StageHook | None = None,
    attest: Attest | None = None,
) -> PipelineResult:
    result = PipelineResult(None, "")

    async def stage(name: str) -> None:
        if name in ("erase", "wait", "verify"):
            result.stage = name
        if on_stage is not None:
            await on_stage(name, result)

    try:
        result.stage = "identify"
        result.facts, evidence = await driver.identify()
        result.evidence += evidence
        await stage("identified")
        result.stage = "blockers"
        result.blockers, evidence = await driver.blockers()
        result.evidence += evidence
        await stage("checked")
        if any(b.blocking for b in result.blockers):
            result.reason = "; ".join(b.message for b in result.blockers if b.blocking)
            return result
        if confirm is not None and not await confirm(result.facts, result.blockers):
            result.reason = "not confirmed"
            return result
        await stage("erase")
        result.evidence += await driver.erase(progress)
        result.method = str(getattr(driver, "method_used", ""))
        result.route = str(getattr(driver, "route", ""))
        await stage("wait")
        result.evidence += await driver.wait_for_return(return_timeout_s, progress)
        await stage("verify")
        verified = await driver.verify(progress, attest)
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
    result.activation_lock = verified.activation_lock
    result.activation_lock_reason = verified.activation_lock_reason
    result.quarantine = verified.quarantine
    # Some drivers settle the route only while verifying (a guided reset the technician did).
    result.route = str(getattr(driver, "route", "")) or result.route
    result.method = str(getattr(driver, "method_used", "")) or result.method
    if verified.outcome is Outcome.VERIFIED:
        if verified.level is None:
            # A certificate never claims more than the station saw: no level, no verification.
            result.outcome = Outcome.FAILED
            result.reason = "the driver did not say how the erasure was verified"
            return result
        result.level = verified.level
    return result
