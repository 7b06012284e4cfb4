"""What the station says when the host is not ready: no usbmuxd, a phone locked since a
restart, a phone that re-enumerates while it boots after the erase."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.contract import BlockerCode, Outcome
from drivers.emulated.ios import IosLab
from drivers.ios import IosDriver, list_iphones
from drivers.ios.errors import UsbmuxdNotRunning
from tests.drivers_ios.flow import Run, full_run, make_driver


async def test_no_usbmuxd_says_how_to_start_it(short_dir: Path, key_dir: Path) -> None:
    missing = str(short_dir / "no-usbmuxd-here")
    with pytest.raises(UsbmuxdNotRunning, match="systemctl start usbmuxd"):
        await list_iphones(missing)
    driver = IosDriver("00008110-000000000000AAAA", key_dir, usbmux_address=missing)
    with pytest.raises(UsbmuxdNotRunning, match="usbmuxd -f"):
        await driver.identify()
    result = await driver.verify()
    assert result.outcome is Outcome.FAILED and "usbmuxd" in result.reason


async def test_phone_locked_since_restart_is_a_blocker(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-clean")
    first = make_driver(lab, phone.udid, key_dir, Run())
    await first.identify()  # paired while unlocked
    await first.close()
    lab.restart(phone.udid)  # back under a new DeviceID, locked until unlocked once
    driver = make_driver(lab, phone.udid, key_dir, Run())
    await driver.identify()
    blockers, _ = await driver.blockers()
    assert [b.code for b in blockers] == [BlockerCode.PASSCODE_LOCKED]
    assert "restarted" in blockers[0].message and "once" in blockers[0].action
    lab.unlock(phone.udid)
    blockers, _ = await driver.blockers()
    await driver.close()
    assert blockers == []


async def test_reenumerating_phone_is_found_again(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-14-stale-pair-tls")  # this profile re-enumerates after the erase
    run = await full_run(lab, phone.udid, key_dir)
    assert run.result is not None
    assert run.result.outcome is Outcome.VERIFIED, run.result.reason
