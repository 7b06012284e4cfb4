"""The Android driver end to end against lab phones on the virtual USB bus: discovery, identify,
blockers, reset, return, verification — with the real adb-shell client on pyusb."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.android import allowlist
from drivers.android.driver import AndroidDriver
from drivers.contract import (
    ActivationLock,
    BlockerCode,
    Outcome,
    ScreenSeen,
    UsbKind,
    VerificationLevel,
)
from drivers.emulated.android.lab import AndroidLab, LabAndroid
from drivers.emulated.android.profile import AndroidProfile, load_profile
from drivers.pipeline import PipelineResult, wipe_phone
from drivers.usb.discovery import UsbWatcher

SCREENS = {"welcome": ScreenSeen.WELCOME, "frp": ScreenSeen.OWNER_LOCK}


def technician_reads(phone: LabAndroid, asked: list[str]):  # type: ignore[no-untyped-def]
    """A headless technician: answers the station's question from what the screen shows."""

    async def attest(question: str) -> ScreenSeen:
        asked.append(question)
        return SCREENS.get(phone.screen, ScreenSeen.OTHER)

    return attest


async def _run(
    lab: AndroidLab, profile: str | AndroidProfile, tmp_path: Path, **driver_kw: float
) -> tuple[PipelineResult, list[str]]:
    phone = lab.attach(profile, tcp_port=None, zero_delay=True)
    watcher = UsbWatcher(lab.bus.backend())
    (event,) = watcher.poll()
    assert event.kind == "attached"
    kw = {"auth_timeout_s": 2.0, "read_timeout_s": 3.0} | driver_kw
    driver = AndroidDriver(event.device.port_path, lab.bus.backend(), tmp_path / "keys", **kw)
    messages: list[str] = []
    try:
        result = await wipe_phone(
            driver,
            messages.append,
            return_timeout_s=6,
            attest=technician_reads(phone, messages),
        )
    finally:
        driver.close()
    return result, messages


def quick_keys(name: str, after_s: float = 0.6) -> AndroidProfile:
    """A phone without ADB whose lab technician presses the recovery keys soon."""
    return load_profile(name).with_overrides(guided_keys_after_s=after_s)


@pytest.mark.parametrize("profile", ["pixel-8-clean", "samsung-s23-clean", "moto-g54-clean"])
async def test_clean_phone_is_verified_with_complete_evidence(
    lab: AndroidLab, profile: str, tmp_path: Path
) -> None:
    result, messages = await _run(lab, profile, tmp_path)
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert result.erasure_class == "purge"
    checks = {(e.step, e.check): e for e in result.evidence}
    for check in (
        "station_key_kept",
        "test_harness_flag",
        "setup_complete",
        "accounts",
        "users",
        "user_apps",
        "user_files",
        "owners",
        "boot_count_restarted",
        "android_id_changed",
    ):
        assert checks[("verify", check)].ok, check
    assert checks[("verify", "user_files")].response == "0"
    assert result.facts is not None and result.facts.encrypted is True
    # A production (user) build: Test Harness Mode, no hands, read back over ADB.
    assert (result.route, result.level) == ("test_harness", VerificationLevel.READBACK)
    assert "Test Harness" in result.method
    assert result.activation_lock is ActivationLock.NOT_LOCKED
    assert not any("Wipe data/factory reset" in m for m in messages)
    assert ("erase", "factory_reset_broadcast") not in checks
    # The raw android_id never reaches the evidence; only a salted hash does.
    (phone,) = list(lab.phones())
    text = " ".join(e.response for e in result.evidence)
    assert phone.phone.state.android_id not in text
    assert all(e.at.tzinfo is not None for e in result.evidence)


def test_every_request_the_driver_sent_is_on_the_allow_list(
    lab: AndroidLab, tmp_path: Path
) -> None:
    import asyncio

    result, _ = asyncio.run(_run(lab, "pixel-8-clean", tmp_path))
    assert result.outcome is Outcome.VERIFIED
    (phone,) = list(lab.phones())
    assert phone.received, "the lab recorded nothing"
    refused = [s for s in phone.received if not allowlist.is_allowed(s)]
    assert refused == []
    assert not allowlist.is_allowed("shell:ls /sdcard/DCIM")
    assert not allowlist.is_allowed("shell:dumpsys account")


@pytest.mark.parametrize(
    "profile",
    [
        "samsung-s23-clean",
        "pixel-7-frp",
        "samsung-a55-samsung-account",
        "xiaomi-redmi-note-13-mi-account",
        "pixel-8-work-profile-google",
    ],
)
async def test_no_user_content_reaches_the_evidence(
    lab: AndroidLab, profile: str, tmp_path: Path
) -> None:
    result, _ = await _run(lab, profile, tmp_path)
    text = " ".join(f"{e.request} {e.response}" for e in result.evidence)
    # The phone holds account names and photo file names; only counts may leave it.
    assert "IMG_" not in text and "/sdcard/DCIM/" not in text
    assert "canary" not in text and "@gmail.com" not in text


@pytest.mark.parametrize(
    "profile,code",
    [
        ("pixel-7-frp", BlockerCode.FRP_ACCOUNT),
        ("samsung-a55-samsung-account", BlockerCode.FRP_ACCOUNT),
        ("xiaomi-redmi-note-13-mi-account", BlockerCode.FRP_ACCOUNT),
        ("huawei-p30-huawei-id", BlockerCode.FRP_ACCOUNT),
        ("pixel-8-work-profile-google", BlockerCode.FRP_ACCOUNT),
        ("samsung-a54-managed", BlockerCode.MDM),
        ("moto-g54-sim", BlockerCode.SIM_PRESENT),
        ("samsung-a14-low-battery", BlockerCode.BATTERY_LOW),
    ],
)
async def test_blocked_phones_are_never_reset(
    lab: AndroidLab, profile: str, code: BlockerCode, tmp_path: Path
) -> None:
    result, _ = await _run(lab, profile, tmp_path)
    assert result.blocked and result.outcome is None
    assert [b.code for b in result.blockers if b.blocking] == [code]
    assert all(b.action for b in result.blockers)
    (phone,) = list(lab.phones())
    assert not any(s.startswith("reboot:") for s in phone.received)
    assert phone.phone.resets == 0


@pytest.mark.parametrize(
    "profile,names",
    [
        ("samsung-a55-samsung-account", "Samsung Reactivation Lock"),
        ("xiaomi-redmi-note-13-mi-account", "Xiaomi Find device"),
        ("huawei-p30-huawei-id", "HUAWEI Find Device"),
        ("pixel-8-work-profile-google", "Factory Reset Protection"),
    ],
)
async def test_each_makers_lock_is_named_with_its_release(
    lab: AndroidLab, profile: str, names: str, tmp_path: Path
) -> None:
    result, _ = await _run(lab, profile, tmp_path)
    (blocker,) = [b for b in result.blockers if b.blocking]
    assert names in blocker.message and blocker.action.startswith("On the phone: Settings")


async def test_an_unknown_account_type_is_listed_by_type_and_names_the_makers_lock(
    lab: AndroidLab, tmp_path: Path
) -> None:
    # OnePlus's own lock has no account type the station could source: a warning, not a stop.
    result, _ = await _run(lab, "oneplus-12-other-account", tmp_path)
    assert not result.blocked
    (warning,) = [b for b in result.blockers if b.code is BlockerCode.FRP_ACCOUNT]
    assert not warning.blocking
    assert "com.example.unknown.account (1)" in warning.message
    assert "OnePlus Find My Phone" in warning.message
    assert "canary" not in warning.message


async def test_the_certificate_line_says_which_locks_were_checked(
    lab: AndroidLab, tmp_path: Path
) -> None:
    result, _ = await _run(lab, "pixel-8-clean", tmp_path)
    assert result.outcome is Outcome.VERIFIED
    reason = result.activation_lock_reason
    assert "no FRP check" not in reason and len(reason) <= 300
    for maker in ("Google", "Samsung", "Xiaomi", "Huawei", "HONOR"):
        assert maker in reason
    assert reason.endswith("none signed in")


async def test_blocker_cleared_by_the_technician(lab: AndroidLab, tmp_path: Path) -> None:
    result, _ = await _run(lab, "pixel-7-frp", tmp_path)
    assert result.blocked
    (phone,) = list(lab.phones())
    phone.technician.sign_out_accounts()
    driver = AndroidDriver(phone.port_path, lab.bus.backend(), tmp_path / "keys")
    await driver.identify()
    blockers, evidence = await driver.blockers()
    driver.close()
    assert blockers == []
    assert [e.ok for e in evidence if e.check == "owner_lock_accounts"] == [True]


async def test_unencrypted_phone_is_only_clear(lab: AndroidLab, tmp_path: Path) -> None:
    # Android 8: no Test Harness Mode, so guided recovery, confirmed by the technician.
    result, _ = await _run(lab, "moto-e5-unencrypted", tmp_path)
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert (result.route, result.level) == ("guided_recovery", VerificationLevel.ATTESTED)
    assert result.erasure_class == "clear"
    assert [b.code for b in result.blockers] == [BlockerCode.NOT_ENCRYPTED]


@pytest.mark.parametrize(
    "profile,outcome,reason",
    [
        # Unplugged as it goes down: indistinguishable from a reboot that never ends.
        ("pixel-8-unplugged", Outcome.FAILED, "wait: the phone did not come back"),
        ("moto-g54-never-returns", Outcome.FAILED, "wait: the phone did not come back"),
        ("samsung-s23-garbled", Outcome.FAILED, "garbled reply"),
        ("samsung-s23-liar", Outcome.FAILED, "the phone restarted but was not reset"),
        ("moto-g54-ignores-reset", Outcome.FAILED, "wait: the phone did not restart"),
    ],
)
async def test_faulty_phones_never_pass_as_verified(
    lab: AndroidLab, profile: str, outcome: Outcome, reason: str, tmp_path: Path
) -> None:
    result, _ = await _run(lab, profile, tmp_path)
    assert result.outcome is outcome, result.reason
    assert reason in result.reason


async def test_slow_phone_that_does_not_answer_in_time_fails(
    lab: AndroidLab, tmp_path: Path
) -> None:
    result, _ = await _run(lab, "pixel-8-slow", tmp_path, read_timeout_s=0.1)
    assert result.outcome is Outcome.FAILED and "no reply" in result.reason


def test_discovery_reports_attach_detach_and_debugging_mode(lab: AndroidLab) -> None:
    watcher = UsbWatcher(lab.bus.backend())
    phone = lab.attach("pixel-6a-debug-off", port_path="1-3.1", tcp_port=None)
    (event,) = watcher.poll()
    assert (event.kind, event.device.kind, event.device.port_path) == (
        "attached",
        UsbKind.MTP,
        "1-3.1",
    )
    assert (event.device.vendor_id, event.device.serial) == (0x18D1, "26061JEC2000GH")
    assert watcher.poll() == []
    phone.technician.unplug()
    import time

    deadline = time.monotonic() + 3
    events = watcher.poll()
    while not events and time.monotonic() < deadline:
        time.sleep(0.05)
        events = watcher.poll()
    assert [(e.kind, e.device.port_path) for e in events] == [("detached", "1-3.1")]


def test_iphone_in_recovery_mode_is_recognised_from_its_descriptors(lab: AndroidLab) -> None:
    from drivers.emulated.usb_bus import Interface, VirtualUsbDevice

    # An iPhone in recovery mode shows Apple's recovery product id and no usbmux interface.
    lab.bus.attach(
        VirtualUsbDevice(
            0x05AC,
            0x1281,
            "Apple Inc.",
            "Apple Mobile Device (Recovery Mode)",
            None,
            "1-7",
            (Interface(0, 0xFF, 0xFF, 0xFF),),
        )
    )
    (event,) = UsbWatcher(lab.bus.backend()).poll()
    assert (event.device.kind, event.device.port_path) == (UsbKind.APPLE_RECOVERY, "1-7")


@pytest.mark.parametrize(
    "profile,why",
    [
        ("pixel-7-locked", None),  # Test Harness is not even tried: the lock was detected
        ("samsung-a34-no-test-harness", "maker left out"),
        ("moto-g7-android9", None),
    ],
)
async def test_phones_test_harness_cannot_reset_take_guided_recovery(
    lab: AndroidLab, profile: str, why: str | None, tmp_path: Path
) -> None:
    result, messages = await _run(lab, profile, tmp_path)
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert (result.route, result.level) == ("guided_recovery", VerificationLevel.ATTESTED)
    assert "recovery menu" in result.method
    assert any("Wipe data/factory reset" in m for m in messages)
    assert any("Welcome" in m for m in messages)  # the question put to the technician
    checks = {(e.step, e.check): e for e in result.evidence}
    assert checks[("verify", "screen_attested")].response == "welcome"
    assert checks[("erase", "reboot_recovery")].ok
    if why:
        assert why in checks[("erase", "test_harness")].response
    (phone,) = list(lab.phones())
    assert phone.phone.resets == 1 and phone.screen == "welcome"
    assert not allowlist.is_allowed("shell:cmd testharness disable")


async def test_locked_phone_is_detected_before_choosing_the_route(
    lab: AndroidLab, tmp_path: Path
) -> None:
    result, _ = await _run(lab, "pixel-7-locked", tmp_path)
    assert BlockerCode.PASSCODE_LOCKED in [b.code for b in result.blockers if not b.blocking]
    (phone,) = list(lab.phones())
    assert "shell:cmd testharness enable" not in phone.received


# The denied phone's technician waits out the station's 2 s authorisation attempt first.
@pytest.mark.parametrize(
    "profile,keys_after_s", [("pixel-6a-debug-off", 0.6), ("pixel-6a-denies", 3)]
)
async def test_phone_without_adb_is_identified_from_usb_and_wiped_guided(
    lab: AndroidLab, profile: str, keys_after_s: float, tmp_path: Path
) -> None:
    result, messages = await _run(lab, quick_keys(profile, keys_after_s), tmp_path)
    assert result.facts is not None
    assert (result.facts.manufacturer, result.facts.model) == ("Google", "Pixel 6a")
    assert result.facts.serial.startswith("26061JEC2000")
    assert [(b.code, b.blocking) for b in result.blockers] == [(BlockerCode.DEBUGGING_OFF, False)]
    assert "could not be checked" in result.blockers[0].message
    assert any("Volume Down + Power" in m for m in messages)  # the keys, for a Pixel
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert (result.route, result.level) == ("guided_recovery", VerificationLevel.ATTESTED)
    assert result.erasure_class == "clear"  # encryption could not be read: claim less


async def test_guided_reset_that_lands_on_verify_your_account_goes_back_to_the_customer(
    lab: AndroidLab, tmp_path: Path
) -> None:
    # Debugging off, Google account still signed in: the station could not see it; the
    # recovery wipe arms FRP and the technician reports "Verify your account".
    owned = quick_keys("pixel-6a-debug-off").with_overrides(accounts=["com.google"])
    result, _ = await _run(lab, owned, tmp_path)
    assert result.outcome is Outcome.FAILED
    assert result.quarantine and result.activation_lock is ActivationLock.LOCKED
    assert "back to the customer" in result.reason
    assert result.level is None


async def test_guided_reset_never_verified_without_the_technician(
    lab: AndroidLab, tmp_path: Path
) -> None:
    lab.attach("pixel-7-locked", tcp_port=None, zero_delay=True)
    (event,) = UsbWatcher(lab.bus.backend()).poll()
    driver = AndroidDriver(event.device.port_path, lab.bus.backend(), tmp_path / "k")
    result = await wipe_phone(driver, lambda _m: None, return_timeout_s=6)
    driver.close()
    assert result.outcome is Outcome.FAILED and "confirm" in result.reason


async def test_technician_seeing_the_owners_phone_fails_the_reset(
    lab: AndroidLab, tmp_path: Path
) -> None:
    phone = lab.attach("pixel-7-locked", tcp_port=None, zero_delay=True)
    (event,) = UsbWatcher(lab.bus.backend()).poll()
    driver = AndroidDriver(event.device.port_path, lab.bus.backend(), tmp_path / "k")

    async def home(_q: str) -> ScreenSeen:
        return ScreenSeen.OTHER

    result = await wipe_phone(driver, lambda _m: None, return_timeout_s=6, attest=home)
    driver.close()
    assert result.outcome is Outcome.FAILED and "not erased" in result.reason
    assert phone.phone.resets == 1


async def test_recovery_adb_is_not_taken_for_the_returned_phone(
    lab: AndroidLab, tmp_path: Path
) -> None:
    prof = quick_keys("pixel-4a-recovery-adb").with_overrides(technician_seconds=0.8)
    phone = lab.attach(prof, tcp_port=None, zero_delay=False)
    phone_backend = lab.bus.backend()
    (event,) = UsbWatcher(phone_backend).poll()
    driver = AndroidDriver(event.device.port_path, phone_backend, tmp_path / "k")
    result = await wipe_phone(
        driver,
        lambda _m: None,
        return_timeout_s=20,
        attest=technician_reads(phone, []),
    )
    driver.close()
    checks = {(e.step, e.check): e for e in result.evidence}
    assert ("wait", "recovery_adb") in checks  # seen, and not taken for the return
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert phone.screen == "welcome"
