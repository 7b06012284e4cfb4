"""USB discovery with pyusb: what is on the bus, and what arrived or left since the last look.

Works on any pyusb backend: libusb on a station, the lab's virtual bus in tests and demo mode.
Polling every 0.25 s notices a phone within a second without needing hotplug support.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
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


class _Reader:
    """Reads a device's strings and notes whether any could not be read (no permission yet, or
    the device going away): such a description is not remembered."""

    def __init__(self, dev: usb.core.Device) -> None:
        self.dev = dev
        self.complete = True

    def string(self, index: int) -> str | None:
        if not index:
            return None
        try:
            text = usb.util.get_string(self.dev, index)
        except (usb.core.USBError, ValueError, NotImplementedError):
            self.complete = False
            return None  # no permission yet (udev rules) or the device is going away
        return None if text is None else str(text)[:MAX_USB_STRING]


def describe(dev: usb.core.Device) -> UsbDeviceInfo:
    return _describe(dev)[0]


def _describe(dev: usb.core.Device) -> tuple[UsbDeviceInfo, bool]:
    """The device's description, and whether every part of it could be read."""
    read = _Reader(dev)
    try:
        config = dev.get_active_configuration()
        interfaces = list(config)
        triples = [
            (i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol) for i in interfaces
        ]
        names = [read.string(i.iInterface) for i in interfaces]  # e.g. "MTP"
    except (usb.core.USBError, NotImplementedError):
        triples, names = [], []
        read.complete = False
    info = UsbDeviceInfo(
        port_path=port_path(dev),
        vendor_id=dev.idVendor,
        product_id=dev.idProduct,
        serial=read.string(dev.iSerialNumber),
        kind=classify(dev.idVendor, dev.idProduct, triples, names),
        manufacturer=read.string(dev.iManufacturer),
        product=read.string(dev.iProduct),
    )
    return info, read.complete


# What identifies one enumeration of a device: a phone that reboots, switches USB mode or is
# plugged in again gets a new address, and is described afresh.
_Enumeration = tuple[str, int, int, int, int]


def scan(
    backend: Any, known: dict[_Enumeration, UsbDeviceInfo] | None = None
) -> dict[str, UsbDeviceInfo]:
    """Every phone-like device on the bus, by port path (hubs, keyboards etc. are left out).

    ``known`` remembers the descriptions of earlier scans: a device's strings and interfaces do
    not change within one enumeration, and reading them means control transfers to every phone
    (round trips to the lab's process in the lab) on every poll. It is pruned to what is on
    the bus."""
    found: dict[str, UsbDeviceInfo] = {}
    seen: set[_Enumeration] = set()
    for dev in usb.core.find(find_all=True, backend=backend):
        key = (port_path(dev), dev.bus, dev.address, dev.idVendor, dev.idProduct)
        info = known.get(key) if known is not None else None
        if info is None:
            try:
                info, complete = _describe(dev)
            except usb.core.USBError:
                continue  # left the bus while we looked
            if known is not None and complete:
                known[key] = info
        seen.add(key)
        if info.kind is not UsbKind.UNKNOWN:
            found[info.port_path] = info
    if known is not None:
        for key in [k for k in known if k not in seen]:
            del known[key]
    return found


def find_device(backend: Any, port: str) -> usb.core.Device | None:
    for dev in usb.core.find(find_all=True, backend=backend):
        if port_path(dev) == port:
            return dev
    return None


class BusSnapshot:
    """The devices on the bus by port path, enumerated at most once per ``max_age_s`` for all
    the phones that poll it (thread-safe). Each phone waiting for its reboot used to enumerate
    the whole bus four times a second: pyusb builds a Device per device each time, O(phones²)
    per interval with a full bench (issue 19). A caller uses only its own port's Device, for
    its address and descriptors; an ADB connection still finds its own (`find_device`)."""

    def __init__(self, backend: Any, max_age_s: float) -> None:
        self.backend = backend
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._by_port: dict[str, usb.core.Device] = {}

    def device_at(self, port: str) -> usb.core.Device | None:
        with self._lock:
            if time.monotonic() - self._at > self.max_age_s:
                found = usb.core.find(find_all=True, backend=self.backend)
                self._by_port = {port_path(dev): dev for dev in found}
                self._at = time.monotonic()
            return self._by_port.get(port)


_snapshots: weakref.WeakKeyDictionary[Any, BusSnapshot] = weakref.WeakKeyDictionary()
_snapshots_lock = threading.Lock()


def bus_snapshot(backend: Any, max_age_s: float = 0.1) -> BusSnapshot:
    """The one `BusSnapshot` of ``backend`` (a pyusb backend object) in this process."""
    with _snapshots_lock:
        snapshot = _snapshots.get(backend)
        if snapshot is None:
            snapshot = _snapshots[backend] = BusSnapshot(backend, max_age_s)
        return snapshot


class UsbWatcher:
    def __init__(self, backend: Any, interval_s: float = 0.25) -> None:
        self.backend = backend
        self.interval_s = interval_s
        self.present: dict[str, UsbDeviceInfo] = {}
        self._known: dict[_Enumeration, UsbDeviceInfo] = {}

    def poll(self) -> list[UsbEvent]:
        now = scan(self.backend, self._known)
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
