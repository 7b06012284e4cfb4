"""Which USB port an iPhone is plugged into, from the LocationID usbmuxd announces.

usbmuxd on Linux sets LocationID to ``(bus << 16) | device address`` (libimobiledevice/usbmuxd
`src/usb.c`, `usb_get_location`; docs/lab-fidelity.md). The address changes with every
enumeration, the port does not: the station finds the device with that bus and address on its
own USB backend and names its port path ("1-2.3"), as it does for an Android phone.
"""

from __future__ import annotations

from typing import Any

import usb.core

from drivers.usb.discovery import port_path

APPLE = 0x05AC


def bus_and_address(location_id: int) -> tuple[int, int]:
    return (location_id >> 16) & 0xFFFF, location_id & 0xFFFF


def port_from_location(location_id: int | None, backend: Any) -> str:
    """The port path of the Apple device at LocationID's bus and address; "" when there is no
    LocationID, no backend, or no such Apple device on the bus (never a guess)."""
    if not location_id or backend is None:
        return ""
    bus, address = bus_and_address(location_id)
    try:
        for dev in usb.core.find(find_all=True, backend=backend, idVendor=APPLE):
            if dev.bus == bus and dev.address == address:
                return port_path(dev)
    except (usb.core.USBError, NotImplementedError, ValueError):
        return ""
    return ""
