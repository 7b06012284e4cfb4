"""USB discovery with pyusb: what is on the bus, and what arrived or left since the last look.

Works on any pyusb backend: libusb on a station, the lab's virtual bus in tests and demo mode.
Polling every 0.25 s notices a phone within a second without needing hotplug support.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import usb.core
import usb.util

from drivers.contract import UsbDeviceInfo, UsbKind
from drivers.usb.classify import classify


@dataclass(frozen=True, slots=True)
class UsbEvent:
    kind: str  # "attached" | "detached"
    device: UsbDeviceInfo


def port_path(dev: usb.core.Device) -> str:
    ports = ".".join(str(p) for p in (dev.port_numbers or ()))
    return f"{dev.bus}-{ports}" if ports else f"{dev.bus}-a{dev.address}"


# A USB string descriptor holds at most 126 UTF-16 characters; anything longer did not come
# from a descriptor and is clipped at the boundary.
MAX_USB_STRING = 126


def _string(dev: usb.core.Device, index: int) -> str | None:
    if not index:
        return None
    try:
        text = usb.util.get_string(dev, index)
    except (usb.core.USBError, ValueError, NotImplementedError):
        return None  # no permission yet (udev rules) or the device is going away
    return None if text is None else str(text)[:MAX_USB_STRING]


def describe(dev: usb.core.Device) -> UsbDeviceInfo:
    try:
        config = dev.get_active_configuration()
        interfaces = list(config)
        triples = [
            (i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol) for i in interfaces
        ]
        names = [_string(dev, i.iInterface) for i in interfaces]  # e.g. "MTP"
    except (usb.core.USBError, NotImplementedError):
        triples, names = [], []
    return UsbDeviceInfo(
        port_path=port_path(dev),
        vendor_id=dev.idVendor,
        product_id=dev.idProduct,
        serial=_string(dev, dev.iSerialNumber),
        kind=classify(dev.idVendor, dev.idProduct, triples, names),
        manufacturer=_string(dev, dev.iManufacturer),
        product=_string(dev, dev.iProduct),
    )


def scan(backend: Any) -> dict[str, UsbDeviceInfo]:
    """Every phone-like device on the bus, by port path (hubs, keyboards etc. are left out)."""
    found: dict[str, UsbDeviceInfo] = {}
    for dev in usb.core.find(find_all=True, backend=backend):
        try:
            info = describe(dev)
        except usb.core.USBError:
            continue  # left the bus while we looked
        if info.kind is not UsbKind.UNKNOWN:
            found[info.port_path] = info
    return found


def find_device(backend: Any, port: str) -> usb.core.Device | None:
    for dev in usb.core.find(find_all=True, backend=backend):
        if port_path(dev) == port:
            return dev
    return None


class UsbWatcher:
    def __init__(self, backend: Any, interval_s: float = 0.25) -> None:
        self.backend = backend
        self.interval_s = interval_s
        self.present: dict[str, UsbDeviceInfo] = {}

    def poll(self) -> list[UsbEvent]:
        now = scan(self.backend)
        events = [
            UsbEvent("detached", info)
            for port, info in self.present.items()
            if now.get(port) != info
        ]
        events += [
            UsbEvent("attached", info)
            for port, info in now.items()
            if self.present.get(port) != info
        ]
        self.present = now
        return events

    async def events(self) -> AsyncIterator[UsbEvent]:
        while True:
            for event in await asyncio.to_thread(self.poll):
                yield event
            await asyncio.sleep(self.interval_s)
