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
    Before,
    Blocker,
    DeviceFacts,
    DeviceGone,
    DriverError,
    EvidenceItem,
    GarbledReply,
    Outcome,
    PhoneDriver,
    Progress,
    Returned,
    VerificationLevel,
    VerifyResult,
)

Confirm = Callable[[DeviceFacts, list[Blocker]], Awaitable[bool]]
# Called before each stage (and after identify/blockers) so the caller can record the state
# change before the phone is touched: "identified", "checked", "erase", "wait", "verify"; for a
# phone a stopped station left interrupted, "not_reset" before it is erased again.
StageHook = Callable[[str, "PipelineResult"], Awaitable[None]]
# An interrupted phone the station cannot judge: the technician's named decision, True to
# erase it again (the application records who decided before it returns), False to leave it.
Decide = Callable[[str], Awaitable[bool]]


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
    # Set by the "identified" hook for a phone a stopped station left interrupted: what the
    # records kept of that erasure; the phone is judged before anything else is done.
    resume: Before | None = None
    can_attest: bool = True  # someone can confirm a screen (the judging may ask)
    returned: Returned | None = None  # the judgement of an interrupted phone

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
    decide: Decide | None = None,
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
        if result.resume is not None:
            verified = await _judge(driver, progress, attest, decide, result, stage)
            if verified is not None:
                return _verified(driver, result, verified)
            if result.outcome is not None:
                return result
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
    return _verified(driver, result, verified)


async def _judge(
    driver: PhoneDriver,
    progress: Progress,
    attest: Attest | None,
    decide: Decide | None,
    result: PipelineResult,
    stage: Callable[[str], Awaitable[None]],
) -> VerifyResult | None:
    """An interrupted phone back on the bus: its verification if it came back reset; None to
    go on erasing it (not reset, or the technician decided so); ``result.outcome`` set to
    INTERRUPTED when it waits for a decision nobody gave."""
    assert result.resume is not None
    result.stage = "verify"
    verdict = await driver.judge_return(
        result.resume, progress, attest if result.can_attest else None
    )
    result.evidence += verdict.evidence
    result.returned = verdict.returned
    if verdict.returned is Returned.RESET:
        assert verdict.verified is not None
        await stage("verify")
        return verdict.verified
    result.reason = verdict.reason
    unsure = verdict.returned is Returned.UNSURE
    if unsure and (decide is None or not await decide(verdict.reason)):
        result.outcome = Outcome.INTERRUPTED
        result.reason = f"waiting for a technician's decision: {verdict.reason}"
        return None
    await stage("not_reset")
    return None


def _verified(
    driver: PhoneDriver, result: PipelineResult, verified: VerifyResult
) -> PipelineResult:
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
