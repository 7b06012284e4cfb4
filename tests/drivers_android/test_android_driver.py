"""The Android driver end to end against lab phones on the virtual USB bus: discovery, identify,
blockers, reset, return, verification — with the real adb-shell client on pyusb."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.android import allowlist
from drivers.android.driver import ENABLE_DEBUGGING, AndroidDriver
from drivers.contract import BlockerCode, Outcome, UsbKind
from drivers.emulated.android.lab import AndroidLab
from drivers.pipeline import PipelineResult, wipe_phone
from drivers.usb.discovery import UsbWatcher


async def _run(
    lab: AndroidLab, profile: str, tmp_path: Path, **driver_kw: float
) -> tuple[PipelineResult, list[str]]:
    lab.attach(profile, tcp_port=None, zero_delay=True)
    watcher = UsbWatcher(lab.bus.backend())
    (event,) = watcher.poll()
    assert event.kind == "attached"
    kw = {"auth_timeout_s": 2.0, "read_timeout_s": 3.0} | driver_kw
    driver = AndroidDriver(event.device.port_path, lab.bus.backend(), tmp_path / "keys", **kw)
    messages: list[str] = []
    try:
        result = await wipe_phone(driver, messages.append, return_timeout_s=6)
    finally:
        driver.close()
    return result, messages


@pytest.mark.parametrize("profile", ["pixel-8-clean", "samsung-s23-clean", "moto-g54-clean"])
async def test_clean_phone_is_verified_with_complete_evidence(
    lab: AndroidLab, profile: str, tmp_path: Path
) -> None:
    result, messages = await _run(lab, profile, tmp_path)
    assert result.outcome is Outcome.VERIFIED, result.reason
    assert result.erasure_class == "purge"
    checks = {(e.step, e.check): e for e in result.evidence}
    for check in (
        "station_key_forgotten",
        "setup_complete",
        "accounts",
        "users",
        "third_party_apps",
        "user_files",
        "owners",
    ):
        assert checks[("verify", check)].ok, check
    assert checks[("verify", "user_files")].response == "0"
    assert result.facts is not None and result.facts.encrypted is True
    assert "recovery" in result.method.lower()
    assert any("Wipe data/factory reset" in m for m in messages)
    # The first reset method was tried and refused, as on a real user build.
    assert not checks[("erase", "factory_reset_broadcast")].ok
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


@pytest.mark.parametrize("profile", ["samsung-s23-clean", "pixel-7-frp"])
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


async def test_blocker_cleared_by_the_technician(lab: AndroidLab, tmp_path: Path) -> None:
    result, _ = await _run(lab, "pixel-7-frp", tmp_path)
    assert result.blocked
    (phone,) = list(lab.phones())
    phone.technician.sign_out_accounts()
    driver = AndroidDriver(phone.port_path, lab.bus.backend(), tmp_path / "keys")
    blockers, evidence = await driver.blockers()
    driver.close()
    assert blockers == []
    assert [e.ok for e in evidence if e.check == "frp_account"] == [True]


async def test_unencrypted_phone_is_only_clear(lab: AndroidLab, tmp_path: Path) -> None:
    result, _ = await _run(lab, "moto-e5-unencrypted", tmp_path)
    assert result.outcome is Outcome.VERIFIED
    assert result.erasure_class == "clear"
    assert [b.code for b in result.blockers] == [BlockerCode.NOT_ENCRYPTED]
    assert "NIST Clear only" in result.reason


@pytest.mark.parametrize(
    "profile,outcome,reason",
    [
        ("pixel-8-unplugged", Outcome.INTERRUPTED, "erase: the phone left the bus"),
        ("moto-g54-never-returns", Outcome.FAILED, "wait: the phone did not come back"),
        ("samsung-s23-garbled", Outcome.FAILED, "garbled reply"),
        ("samsung-s23-liar", Outcome.FAILED, "still trusts this station"),
        ("pixel-6a-denies", Outcome.FAILED, "did not allow USB debugging"),
        ("pixel-6a-debug-off", Outcome.FAILED, ENABLE_DEBUGGING[:30]),
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
