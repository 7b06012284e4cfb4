"""A phone that goes down on `cmd testharness enable` before its (empty) reply reaches the
station: the reset is judged by what the phone reports when it returns, never assumed."""

from __future__ import annotations

from pathlib import Path

from drivers.contract import Outcome, VerificationLevel
from drivers.emulated.android.lab import AndroidLab
from drivers.emulated.android.profile import load_profile
from tests.drivers_android.test_android_driver import _run


async def test_a_phone_gone_before_its_reply_is_verified_by_its_return(
    lab: AndroidLab, tmp_path: Path
) -> None:
    profile = load_profile("pixel-8-clean").with_overrides(fault="resets_before_reply")
    result, _ = await _run(lab, profile, tmp_path)
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert result.route == "test_harness" and result.level is VerificationLevel.READBACK
    sent = next(e for e in result.evidence if (e.step, e.check) == ("erase", "test_harness"))
    assert not sent.ok and "no reply" in sent.response
    checks = {e.check: e.ok for e in result.evidence if e.step == "verify"}
    assert checks.get("boot_count_restarted") is True
