"""The shared usbmuxd listener: one phone's events only, and connections that still find a
phone the hub does not know (yet) or knows under a stale DeviceID."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drivers.contract import DeviceGone
from drivers.emulated.ios import IosLab
from drivers.ios.discovery import MuxEventKind
from drivers.ios.lockdown import LOCKDOWN_PORT, _connect, open_lockdown
from drivers.ios.muxhub import MuxEvent, MuxHub
from drivers.ios.records import PairRecordStore


async def _known(hub: MuxHub, udid: str) -> None:
    for _ in range(100):
        if hub.device(udid) is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the hub never learnt of {udid}")


async def test_one_listener_per_address_while_used(lab: IosLab) -> None:
    first = await MuxHub.acquire(lab.socket_path)
    second = await MuxHub.acquire(lab.socket_path)
    assert first is second
    await second.release()
    await first.release()
    third = await MuxHub.acquire(lab.socket_path)
    try:
        assert third is not first  # the last user closed it; a new user starts a new one
    finally:
        await third.release()


async def test_a_subscription_gets_its_own_phone_events_only(lab: IosLab) -> None:
    mine = lab.attach("iphone-13-clean")
    other = lab.attach("iphone-15-pro-clean")
    hub = await MuxHub.acquire(lab.socket_path)
    try:
        await _known(hub, mine.udid)
        sub = hub.subscribe(mine.udid)
        lab.detach(other.udid)
        lab.detach(mine.udid)
        lab.replug(mine.udid)
        detached = await sub.next_event(1.0)
        attached = await sub.next_event(1.0)
        assert detached is not None and attached is not None
        assert (detached.kind, detached.udid) == (MuxEventKind.DETACHED, mine.udid)
        assert (attached.kind, attached.udid) == (MuxEventKind.ATTACHED, mine.udid)
        assert attached.device_id != detached.device_id  # a new enumeration
        assert await sub.next_event(0.05) is None  # nothing of the other phone
        await sub.close()  # the subscription held a use of its own
        await _known(hub, mine.udid)
        device = hub.device(mine.udid)
        assert device is not None and device.devid == attached.device_id
    finally:
        await hub.release()


async def test_connections_fall_back_to_listing_the_bus(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-clean")
    hub = await MuxHub.acquire(lab.socket_path)
    try:
        await _known(hub, phone.udid)
        stale = hub.device(phone.udid)
        assert stale is not None
        lab.detach(phone.udid)
        lab.replug(phone.udid)
        # The hub may still hold the old DeviceID: connecting falls back to ListDevices.
        hub._devices = {stale.devid: stale}
        service = await _connect(phone.udid, LOCKDOWN_PORT, lab.socket_path, hub)
        await service.close()
        # A phone the hub does not know at all is found the same way.
        hub._devices = {}
        client = await open_lockdown(
            phone.udid, lab.socket_path, PairRecordStore(key_dir), validate=False, hub=hub
        )
        assert client.all_values.get("UniqueDeviceID") == phone.udid
        await client.close()
    finally:
        await hub.release()


async def test_a_lost_usbmuxd_reaches_the_subscribers(lab: IosLab) -> None:
    phone = lab.attach("iphone-13-clean")
    hub = await MuxHub.acquire(lab.socket_path)
    sub = hub.subscribe(phone.udid)
    try:
        await lab.stop()
        with pytest.raises(DeviceGone):
            for _ in range(10):
                await sub.next_event(1.0)
        assert hub.device(phone.udid) is None  # nothing it knew is trusted any more
    finally:
        await sub.close()
        await hub.release()


async def test_the_watcher_shares_the_hub_and_starts_with_the_phones_it_knows(
    lab: IosLab,
) -> None:
    from drivers.ios.discovery import UsbmuxWatcher

    present = lab.attach("iphone-13-clean")
    hub = await MuxHub.acquire(lab.socket_path)  # a driver already holds the hub
    try:
        await _known(hub, present.udid)
        async with UsbmuxWatcher(lab.socket_path) as watcher:
            assert len(lab.usbmuxd._listeners) == 1  # no Listen connection of its own
            first = await watcher.next_event(1.0)
            assert first is not None
            assert (first.kind, first.udid) == (MuxEventKind.ATTACHED, present.udid)
            newcomer = lab.attach("iphone-15-pro-clean")
            then = await watcher.next_event(1.0)
            assert then is not None
            assert (then.kind, then.udid) == (MuxEventKind.ATTACHED, newcomer.udid)
    finally:
        await hub.release()


@pytest.mark.parametrize("turns", range(6))
async def test_a_stop_that_comes_with_an_event_is_not_swallowed(lab: IosLab, turns: int) -> None:
    # Python 3.11's wait_for returns the event when a cancellation arrives just as it does:
    # a stopping station's job then went on waiting for the phone (up to 900 s). Whatever the
    # turn the cancellation comes at, a job that was still waiting is cancelled, and an event
    # it did not take stays for the next reader.
    hub = await MuxHub.acquire(lab.socket_path)
    try:
        sub = hub.subscribe("00008110-00000000000000AA")
        waiting = asyncio.ensure_future(sub.next_event(60))
        await asyncio.sleep(0)
        event = MuxEvent(MuxEventKind.DETACHED, sub.udid, 7)
        sub.queue.put_nowait(event)
        for _ in range(turns):
            await asyncio.sleep(0)
        if waiting.cancel():
            with pytest.raises(asyncio.CancelledError):
                await waiting
            assert sub.queue.get_nowait() is event
        else:
            assert waiting.result() is event
        hub.unsubscribe(sub)
    finally:
        await hub.release()
