"""The lab answers as a shop-bought phone does (sources in docs/lab-fidelity.md, ## Android)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.contract import UsbKind
from drivers.emulated.android import shell
from drivers.emulated.android.lab import AndroidLab
from drivers.emulated.android.profile import load_profile, load_profile_file
from drivers.emulated.usb_bus import Interface, VirtualUsbDevice
from drivers.usb.discovery import UsbWatcher


def _run(lab: AndroidLab, profile: str, command: str, **overrides: object) -> str:
    phone = lab.attach(load_profile(profile).with_overrides(**overrides), tcp_port=None)
    return shell.run(phone.phone.state, command)[0]


@pytest.mark.parametrize(
    "overrides,answer",
    [
        ({"lock_screen": "pin"}, "Test Harness Mode cannot be enabled if there is a lock screen\n"),
        ({"test_harness": False}, "Failed to enable Test Harness Mode\n"),
        ({"sdk": 28}, "cmd: Can't find service: testharness\n"),
        ({}, ""),
    ],
)
def test_test_harness_refusals(lab: AndroidLab, overrides: dict, answer: str) -> None:
    assert _run(lab, "pixel-8-clean", "cmd testharness enable", **overrides) == answer


def test_dpm_list_owners_exists_from_android_12(lab: AndroidLab) -> None:
    assert _run(lab, "pixel-8-clean", "dpm list-owners") == "no owners\n"
    old = _run(lab, "pixel-8-clean", "dpm list-owners", sdk=30, device_owner="a.b/.C")
    assert old.startswith("usage: dpm") and "Error: unknown command 'list-owners'" in old
    dump = _run(lab, "pixel-8-clean", "dumpsys device_policy", sdk=30, device_owner="a.b/.C")
    assert "  Device Owner: \n    admin=ComponentInfo{a.b/.C}" in dump


def test_dumpsys_account_lists_authenticators_with_no_accounts(lab: AndroidLab) -> None:
    out = _run(lab, "pixel-8-clean", "dumpsys account")
    assert "  Accounts: 0\n" in out and "AuthenticatorDescription {type=com.google}" in out


def test_screen_follows_the_phone(lab: AndroidLab) -> None:
    phone = lab.attach("pixel-7-locked", tcp_port=None)
    assert phone.screen == "lockscreen"


def test_profile_file_extends_a_bundled_profile(tmp_path: Path) -> None:
    path = tmp_path / "captured-pixel.yaml"
    path.write_text(
        "platform: android\nextends: pixel-8-clean\nserial: FILE0001\n"
        "captured:\n  dpm list-owners: {stdout: 'no owners\\n', exit: 0}\n"
    )
    prof = load_profile_file(path)
    assert (prof.serial, prof.model) == ("FILE0001", "Pixel 8")
    assert prof.captured["dpm list-owners"]["exit"] == 0
    path.write_text("extends: pixel-8-clean\nno_such_key: 1\n")
    with pytest.raises(ValueError, match="unknown keys"):
        load_profile_file(path)


def test_usb_strings_are_capped_at_126_characters(lab: AndroidLab) -> None:
    lab.attach("pixel-8-clean", tcp_port=None, model="P" * 300)
    (event,) = UsbWatcher(lab.bus.backend()).poll()
    assert event.device.product == "P" * 126


def test_phone_under_a_chip_makers_vendor_id_shows_as_debugging_off(lab: AndroidLab) -> None:
    mtp = Interface(0, 0x06, 0x01, 0x01, (), "MTP")
    lab.bus.attach(VirtualUsbDevice(0x05C6, 0x9039, "Android", "Android", "ab12", "1-9", (mtp,)))
    lab.bus.attach(
        VirtualUsbDevice(
            0x1234,
            0x0001,
            "Acme",
            "Android",
            "cd34",
            "1-8",
            (Interface(0, 0xFF, 0xFF, 0, (), "MTP"),),
        )
    )
    kinds = {e.device.port_path: e.device.kind for e in UsbWatcher(lab.bus.backend()).poll()}
    assert kinds == {"1-9": UsbKind.MTP, "1-8": UsbKind.MTP}
