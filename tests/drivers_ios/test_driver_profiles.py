"""End to end against the lab: each profile reaches the right outcome with the right evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.contract import (
    ActivationLock,
    BlockerCode,
    DeviceGone,
    GarbledReply,
    Outcome,
    Platform,
    VerificationLevel,
)
from drivers.emulated.ios import IosLab
from drivers.ios.progress import ERASING, RETURNED, TAP_TRUST, UNLOCK_FIRST, WAITING
from tests.drivers_ios.flow import Run, full_run, make_driver

CLEAN = [
    "iphone-13-clean",
    "iphone-15-pro-clean",
    "iphone-11-ios16-clean",
    "iphone-se2-ios15-clean",
]


@pytest.mark.parametrize("profile", CLEAN)
async def test_clean_phone_is_erased_and_verified(lab: IosLab, key_dir: Path, profile: str) -> None:
    phone = lab.attach(profile)
    run = await full_run(lab, phone.udid, key_dir)
    assert run.error is None
    assert run.blockers == []
    assert run.result is not None
    assert run.result.outcome is Outcome.VERIFIED, run.result.reason
    assert run.result.reusable
    assert run.result.level is VerificationLevel.READBACK
    assert run.result.activation_lock is ActivationLock.NOT_LOCKED
    facts = run.facts
    assert facts is not None
    assert facts.platform is Platform.IOS
    assert facts.model_code == phone.profile.product_type
    assert facts.serial == phone.profile.serial_number
    assert facts.imeis == phone.profile.imeis
    assert facts.os_version == phone.profile.product_version
    assert facts.storage_bytes == phone.profile.capacity_bytes
    assert facts.activation_state == "Activated"
    checks = {e.check: e for e in run.result.evidence}
    for needed in (
        "old_pairing_rejected",
        "activation_state",
        "setup_done",
        "activation_lock",
        "erase_record",
    ):
        assert checks[needed].ok, checks[needed]
    assert checks["setup_done"].response == "absent"  # a fresh phone has no SetupDone yet
    assert "Obliteration Complete" in checks["erase_record"].response
    assert checks["old_pairing_rejected"].response == "InvalidHostID"
    assert checks["activation_state"].response == "Unactivated"
    assert run.progress == [ERASING, WAITING, RETURNED]
    assert phone.erase_count == 1
    assert phone.pairings == {}  # verification unpaired the fresh phone again
    assert not (key_dir / f"{phone.udid}.plist").exists()


async def test_marketing_name(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-clean")
    run = Run()
    driver = make_driver(lab, phone.udid, key_dir, run)
    facts, _ = await driver.identify()
    await driver.close()
    assert (facts.model, facts.model_code) == ("iPhone 13", "iPhone14,5")


async def test_pair_record_kept_in_key_dir_mode_0600(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-clean")
    driver = make_driver(lab, phone.udid, key_dir, Run())
    await driver.identify()
    await driver.close()
    record = key_dir / f"{phone.udid}.plist"
    assert record.stat().st_mode & 0o777 == 0o600
    assert phone.udid not in lab.usbmuxd.pair_records  # the station's store only
    again = make_driver(lab, phone.udid, key_dir, Run())
    await again.identify()
    await again.close()
    assert [r.request for r in phone.requests].count("Pair") == 1


async def test_tls_sessions_take_the_host_key_from_the_key_dir_not_a_temporary_file(
    lab: IosLab, key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pymobiledevice3.lockdown

    def no_temporary_file(*args: object, **kwargs: object) -> None:
        raise AssertionError("the host's private key went to a temporary file")

    monkeypatch.setattr(pymobiledevice3.lockdown.tempfile, "NamedTemporaryFile", no_temporary_file)
    phone = lab.attach("iphone-13-clean")
    run = await full_run(lab, phone.udid, key_dir)  # sessions, services, the erase, the re-pair
    assert run.error is None and run.result is not None
    assert run.result.outcome is Outcome.VERIFIED, run.result.reason
    (pem,) = key_dir.glob("host-*.pem")
    assert pem.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in pem.read_bytes()


async def test_find_my_blocks_and_erased_anyway_is_not_reusable(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-14-findmy")
    run = await full_run(lab, phone.udid, key_dir, erase_anyway=True)
    assert [(b.code, b.blocking) for b in run.blockers] == [(BlockerCode.ACTIVATION_LOCK, True)]
    assert "fm-activation-locked=YES" in run.blockers[0].message
    assert "iCloud" in run.blockers[0].action
    assert run.result is not None
    assert run.result.outcome is Outcome.VERIFIED
    assert run.result.level is VerificationLevel.READBACK
    assert run.result.reusable is False
    assert run.result.activation_lock is ActivationLock.LOCKED
    assert "fm-activation-locked=YES" in run.result.activation_lock_reason
    assert "Activation Lock is on" in run.result.reason
    lock = next(e for e in run.result.evidence if e.check == "activation_lock")
    assert lock.response.startswith("locked:") and not lock.ok
    # At Setup Assistant IsAssociated reads false although the phone is locked (#531).
    fmip = next(e for e in run.result.evidence if e.check == "find_my_associated")
    assert fmip.response == "False"


async def test_supervised_phone_erased_through_mobileconfig(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-12-supervised")
    run = await full_run(lab, phone.udid, key_dir)
    assert [(b.code, b.blocking) for b in run.blockers] == [(BlockerCode.MDM, False)]
    assert run.result is not None and run.result.outcome is Outcome.VERIFIED
    channels = {(r.channel, r.request) for r in phone.requests}
    assert ("com.apple.mobile.MCInstall", "EraseDevice") in channels
    assert not any(r.channel == "com.apple.mobilebackup2" for r in phone.requests)


async def test_mdm_enrolled_phone_is_blocked(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-xr-mdm")
    run = await full_run(lab, phone.udid, key_dir)
    assert [(b.code, b.blocking) for b in run.blockers] == [(BlockerCode.MDM, True)]
    assert "Nordlys Kommune" in run.blockers[0].message
    assert phone.erase_count == 0


async def test_sim_card_blocks(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-14-sim")
    run = await full_run(lab, phone.udid, key_dir)
    assert [(b.code, b.blocking) for b in run.blockers] == [(BlockerCode.SIM_PRESENT, True)]
    assert "SIM card" in run.blockers[0].message
    assert phone.erase_count == 0


async def test_ready_sim_with_an_empty_tray_only_warns(lab: IosLab, key_dir: Path) -> None:
    # Embedded-SIM iPhones read SIMStatus Ready with no plan at all: not a reason to stop.
    phone = lab.attach("iphone-15-esim")
    run = await full_run(lab, phone.udid, key_dir)
    assert [(b.code, b.blocking) for b in run.blockers] == [(BlockerCode.SIM_PRESENT, False)]
    assert "eSIM" in run.blockers[0].message
    assert run.result is not None and run.result.outcome is Outcome.VERIFIED


async def test_passcode_locked_phone(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-passcode-locked")
    run = await full_run(lab, phone.udid, key_dir)
    assert [b.code for b in run.blockers] == [BlockerCode.PASSCODE_LOCKED]
    assert "Unlock" in run.blockers[0].action
    assert UNLOCK_FIRST in run.progress
    assert run.facts is not None and run.facts.model_code == "iPhone14,5"
    assert run.facts.serial == ""  # not shown to an untrusted host
    lab.unlock(phone.udid)
    after = await full_run(lab, phone.udid, key_dir)
    assert after.blockers == []
    assert after.result is not None and after.result.outcome is Outcome.VERIFIED


async def test_trust_refused(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-trust-denied")
    run = await full_run(lab, phone.udid, key_dir, erase_anyway=True)
    assert [b.code for b in run.blockers] == [BlockerCode.NOT_TRUSTED]
    assert "Don't Trust" in run.blockers[0].message
    assert run.error is not None  # erase refused by the driver: the phone never trusted us
    assert phone.erase_count == 0


async def test_trust_prompt_answered_by_technician(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-trust-pending")
    run = Run()

    def technician(message: str) -> None:
        run.progress.append(message)
        if message == TAP_TRUST:
            lab.tap_trust(phone.udid)

    # Generous: the phone answers as soon as the technician taps, so this never waits it out.
    driver = make_driver(lab, phone.udid, key_dir, run, trust_timeout_s=10)
    driver.progress = technician
    facts, evidence = await driver.identify()
    await driver.close()
    assert run.progress == [TAP_TRUST]
    assert facts.serial == phone.profile.serial_number
    assert evidence[0].check == "pairing" and evidence[0].ok


async def test_unplugged_mid_erase_is_interrupted(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-unplugged-mid-erase")
    run = await full_run(lab, phone.udid, key_dir)
    assert isinstance(run.error, DeviceGone)
    assert run.result is not None
    assert run.result.outcome is Outcome.INTERRUPTED
    assert "disconnected" in run.result.reason


async def test_never_returns_fails_after_timeout(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-never-returns")
    run = await full_run(lab, phone.udid, key_dir, return_s=0.3)
    assert run.error is None
    assert run.result is not None
    assert run.result.outcome is Outcome.FAILED
    assert "did not come back" in run.result.reason
    assert [e.check for e in run.result.evidence] == ["returned"]


async def test_garbled_reply_fails(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-garbled")
    run = await full_run(lab, phone.udid, key_dir)
    assert isinstance(run.error, GarbledReply)
    assert run.result is not None
    assert run.result.outcome is Outcome.FAILED
    assert "unreadable" in run.result.reason
    assert phone.erase_count == 0


async def test_phone_that_lies_about_erase_fails(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-lies")
    run = await full_run(lab, phone.udid, key_dir)
    assert run.error is None
    assert run.result is not None
    assert run.result.outcome is Outcome.FAILED
    assert "pre-erase pairing" in run.result.reason
    rejected = next(e for e in run.result.evidence if e.check == "old_pairing_rejected")
    assert not rejected.ok


async def test_supervised_route_found_without_blockers_step(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-12-supervised")
    driver = make_driver(lab, phone.udid, key_dir, Run())
    await driver.identify()
    await driver.erase(lambda _message: None)
    await driver.wait_for_return(5.0, lambda _message: None)
    result = await driver.verify()
    await driver.close()
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert ("com.apple.mobile.MCInstall", "EraseDevice") in [
        (r.channel, r.request) for r in phone.requests
    ]


async def test_unplugged_between_steps_is_interrupted(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-clean")
    driver = make_driver(lab, phone.udid, key_dir, Run())
    await driver.identify()
    lab.detach(phone.udid)
    with pytest.raises(DeviceGone):
        await driver.blockers()
    result = await driver.verify()
    await driver.close()
    assert result.outcome is Outcome.INTERRUPTED
    assert "disconnected" in result.reason
    assert phone.erase_count == 0
