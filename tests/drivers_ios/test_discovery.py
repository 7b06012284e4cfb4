"""Attach/detach events through usbmuxd, as the station watches for phones."""

from __future__ import annotations

import asyncio
from pathlib import Path

from drivers.contract import Outcome
from drivers.emulated.ios import IosLab
from drivers.ios import MuxEventKind, UsbmuxWatcher, list_iphones
from tests.drivers_ios.flow import full_run


async def test_watcher_reports_present_then_attach_and_detach(lab: IosLab) -> None:
    first = lab.attach("iphone-13-clean")
    async with UsbmuxWatcher(lab.socket_path) as watcher:
        present = await watcher.next_event(1.0)
        assert present is not None
        assert (present.kind, present.udid) == (MuxEventKind.ATTACHED, first.udid)
        second = lab.attach("iphone-15-pro-clean")
        attached = await watcher.next_event(1.0)
        assert attached is not None
        assert (attached.kind, attached.udid) == (MuxEventKind.ATTACHED, second.udid)
        lab.detach(first.udid)
        detached = await watcher.next_event(1.0)
        assert detached is not None
        assert (detached.kind, detached.udid) == (MuxEventKind.DETACHED, first.udid)
        assert detached.device_id == present.device_id
        assert await watcher.next_event(0.05) is None


async def test_list_iphones(lab: IosLab) -> None:
    fleet = lab.attach_fleet(["iphone-13-clean", "iphone-14-sim"], 8)
    assert sorted(await list_iphones(lab.socket_path)) == sorted(p.udid for p in fleet)


async def test_fleet_of_eight_wiped_concurrently(lab: IosLab, key_dir: Path) -> None:
    fleet = lab.attach_fleet(["iphone-13-clean", "iphone-11-ios16-clean"], 8)
    runs = await asyncio.gather(*(full_run(lab, p.udid, key_dir) for p in fleet))
    assert [r.result.outcome for r in runs if r.result] == [Outcome.VERIFIED] * 8
