"""An iPhone's Port: usbmuxd's LocationID, (bus << 16) | address on Linux, names the device on
the station's USB bus; its port path is what the table shows, as for an Android phone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import usb.core

from drivers.emulated.ios.lab import IosLab
from drivers.emulated.ios.usb import RECOVERY, apple_boot_device
from drivers.emulated.usb_bus import VirtualUsbBus
from drivers.ios.driver import IosDriver
from drivers.ios.muxhub import MuxHub
from drivers.ios.usb_port import bus_and_address, port_from_location


def test_the_location_names_the_apple_device_at_that_bus_and_address() -> None:
    bus = VirtualUsbBus()
    bus.attach(apple_boot_device(RECOVERY, "1-3.2", 0x8110, 0x1C3E2E78801E))
    backend = bus.backend()
    (dev,) = list(usb.core.find(find_all=True, backend=backend))
    location = (dev.bus << 16) | dev.address
    assert bus_and_address(location) == (dev.bus, dev.address)
    assert port_from_location(location, backend) == "1-3.2"
    # Another address on the bus, no LocationID, no bus: nothing rather than a guess.
    assert port_from_location(location + 1, backend) == ""
    assert port_from_location(None, backend) == ""
    assert port_from_location(location, None) == ""


async def test_the_hub_keeps_the_location_usbmuxd_announced(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach()
    device_id = lab.usbmuxd.device_id_of(phone)
    hub = await MuxHub.acquire(lab.usbmuxd.socket_path)
    try:
        for _ in range(200):  # the Attached message follows Listen's answer
            if hub.device(phone.udid) is not None:
                break
            await asyncio.sleep(0.01)
        assert hub.location(phone.udid) == 0x01100000 + device_id  # the lab's Attached message
    finally:
        await hub.release()
    # The lab's LocationID names no device on a USB bus: the driver reports no port.
    driver = IosDriver(
        phone.udid,
        key_dir,
        usbmux_address=lab.usbmuxd.socket_path,
        usb_backend=VirtualUsbBus().backend(),
    )
    try:
        await driver.identify()
    finally:
        await driver.close()
    assert driver.port_path == ""
