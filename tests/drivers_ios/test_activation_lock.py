"""Activation Lock before and after the erase, against lab phones that answer as real ones do."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.contract import ActivationLock, BlockerCode, Outcome, VerificationLevel
from drivers.emulated.ios import IosLab
from drivers.emulated.ios import owner as ios_owner
from drivers.ios.activation_lock import judge
from tests.drivers_ios.flow import full_run


@pytest.mark.parametrize(
    ("nvram", "associated", "expected"),
    [
        ({"fm-activation-locked": "YES"}, False, ActivationLock.LOCKED),
        ({"fm-activation-locked": "NO", "fm-spstatus": "YES"}, False, ActivationLock.LOCKED),
        ({"fm-activation-locked": "NO", "fm-spstatus": "NO"}, False, ActivationLock.NOT_LOCKED),
        ({}, True, ActivationLock.LOCKED),
        ({}, False, ActivationLock.UNKNOWN),  # IsAssociated=false alone proves nothing
        (None, None, ActivationLock.UNKNOWN),
        ({"fm-activation-locked": "MAYBE"}, False, ActivationLock.UNKNOWN),
    ],
)
def test_judge(nvram: dict[str, str] | None, associated: object, expected: ActivationLock) -> None:
    lock, reason = judge(nvram, associated)
    assert lock is expected
    assert reason


async def test_lying_is_associated_is_blocked_before_the_erase(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-findmy-isassociated-lies")
    run = await full_run(lab, phone.udid, key_dir)
    assert [(b.code, b.blocking) for b in run.blockers] == [(BlockerCode.ACTIVATION_LOCK, True)]
    fmip = next(e for e in run.evidence if e.check == "find_my_associated")
    assert fmip.response == "False"  # the phone said "not associated"; the NVRAM flag won
    assert phone.erase_count == 0


async def test_owner_account_in_nvram_never_reaches_evidence(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-14-findmy")
    run = await full_run(lab, phone.udid, key_dir, erase_anyway=True)
    assert run.result is not None and run.result.activation_lock is ActivationLock.LOCKED
    everything = [e.response for e in run.evidence + list(run.result.evidence)]
    assert run.result.reason not in ("",)
    assert not any(ios_owner.ACCOUNT_MASKED in text for text in everything)
    assert "fm-account-masked" not in " ".join(everything)


async def test_unknown_lock_is_a_warning_and_never_reusable(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-xr-ios15-lock-unknown")
    run = await full_run(lab, phone.udid, key_dir)
    assert [(b.code, b.blocking) for b in run.blockers] == [(BlockerCode.ACTIVATION_LOCK, False)]
    result = run.result
    assert result is not None
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert result.level is VerificationLevel.READBACK
    assert result.activation_lock is ActivationLock.UNKNOWN
    assert "fm-activation-locked" in result.activation_lock_reason
    assert result.reusable is False


async def test_phone_that_comes_back_locked(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-15-returns-locked")
    run = await full_run(lab, phone.udid, key_dir)
    assert run.blockers == []
    result = run.result
    assert result is not None
    assert (result.outcome, result.activation_lock) == (Outcome.VERIFIED, ActivationLock.LOCKED)
    assert result.level is VerificationLevel.READBACK
    assert result.reusable is False
    assert "Activation Lock is on" in result.reason


@pytest.mark.parametrize(
    ("profile", "answer"),
    [
        ("iphone-14-stale-pair-tls", "TLS handshake refused"),
        ("iphone-11-stale-pair-closed", "TLS handshake refused"),
    ],
)
async def test_old_pairing_refused_in_tls_still_verifies(
    lab: IosLab, key_dir: Path, profile: str, answer: str
) -> None:
    phone = lab.attach(profile)
    run = await full_run(lab, phone.udid, key_dir)
    assert run.error is None
    result = run.result
    assert result is not None
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert result.activation_lock is ActivationLock.NOT_LOCKED and result.reusable
    rejected = next(e for e in result.evidence if e.check == "old_pairing_rejected")
    assert rejected.ok and answer in rejected.response
