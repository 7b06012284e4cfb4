"""Profiles are well-formed and distinct; the foreground runner serves and cleans up."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

import pytest
from pymobiledevice3 import usbmux

from drivers.emulated.ios import Fault, IosLab, available_profiles, load_profile
from drivers.emulated.ios.identity import luhn_complete
from drivers.emulated.ios.profile import load_profile_file
from drivers.emulated.ios.runner import serve
from tests.lab_ios.helpers import lockdown


def test_every_profile_loads_with_valid_identity() -> None:
    names = available_profiles()
    assert "iphone-13-clean" in names
    profiles = [load_profile(n) for n in names]
    assert len({p.udid for p in profiles}) == len(profiles)
    assert len({p.serial_number for p in profiles}) == len(profiles)
    for p in profiles:
        assert p.imeis, p.name
        for imei in p.imeis:
            assert len(imei) == 15 and luhn_complete(imei[:14]) == imei
    assert len({p.product_type for p in profiles}) >= 6
    assert len({p.product_version.split(".")[0] for p in profiles}) >= 3
    assert {f for f in Fault if f is not Fault.NONE} <= {p.fault for p in profiles}


async def test_runner_serves_then_removes_socket(mux_path: str) -> None:
    ready = asyncio.Event()
    task = asyncio.create_task(
        serve(mux_path, "iphone-11-ios16-clean", "00008030-0000000000000001", ready)
    )
    await asyncio.wait_for(ready.wait(), timeout=5)
    devices = await usbmux.list_devices(usbmux_address=mux_path)
    assert [d.serial for d in devices] == ["00008030-0000000000000001"]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert not os.path.exists(mux_path)


def test_profile_file_extends_a_bundled_profile_with_captured_values(tmp_path: Path) -> None:
    path = tmp_path / "locked-13.yaml"
    path.write_text(
        "platform: ios\n"
        "extends: iphone-13-clean\n"
        "find_my: true\n"
        "captured:\n"
        "  '':\n"
        "    SIMTrayStatus: kCTSIMSupportSIMTrayAbsent\n"
        "    NonVolatileRAM:\n"
        "      fm-activation-locked: !!binary WUVT\n"
        "  com.apple.fmip:\n"
        "    IsAssociated: false\n",
        encoding="utf-8",
    )
    profile = load_profile_file(path)
    base = load_profile("iphone-13-clean")
    assert (profile.name, profile.product_type, profile.find_my) == (
        "locked-13",
        "iPhone14,5",
        True,
    )
    assert profile.serial_number == base.serial_number
    assert profile.captured[""]["NonVolatileRAM"]["fm-activation-locked"] == b"YES"
    assert profile.captured["com.apple.fmip"] == {"IsAssociated": False}


def test_profile_file_for_another_platform_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pixel.yaml"
    path.write_text("platform: android\nextends: pixel-8\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not an iOS profile"):
        load_profile_file(path)


async def test_attach_profile_gives_a_fresh_identity_and_serves_captured(
    lab: IosLab, records_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "tray-absent.yaml"
    path.write_text(
        "extends: iphone-15-pro-clean\ncaptured:\n  '':\n"
        "    SIMTrayStatus: kCTSIMSupportSIMTrayAbsent\n",
        encoding="utf-8",
    )
    profile = load_profile_file(path)
    first = lab.attach_profile(profile, 0)
    second = lab.attach_profile(profile, 1)
    assert len({first.udid, second.udid, profile.udid}) == 3
    assert first.profile.serial_number != second.profile.serial_number
    client = await lockdown(lab, first.udid, records_dir)
    try:
        assert client.all_values["SIMTrayStatus"] == "kCTSIMSupportSIMTrayAbsent"
        assert client.all_values["UniqueDeviceID"] == first.udid  # identity never overridden
    finally:
        await client.close()
