"""Deciding what a USB device is from its descriptors alone (no talking to the phone)."""

from __future__ import annotations

from collections.abc import Iterable

from drivers.contract import UsbKind
from drivers.usb.vendors import ANDROID_VENDORS, APPLE, APPLE_DFU_PIDS, APPLE_RECOVERY_PIDS

# (class, subclass, protocol) of interfaces that identify a phone's mode.
ADB_INTERFACE = (0xFF, 0x42, 0x01)
FASTBOOT_INTERFACE = (0xFF, 0x42, 0x03)
USBMUX_INTERFACE = (0xFF, 0xFE, 0x02)
STILL_IMAGE_CLASS = 0x06  # MTP/PTP


def classify(
    vendor_id: int, product_id: int, interfaces: Iterable[tuple[int, int, int]]
) -> UsbKind:
    found = set(interfaces)
    if ADB_INTERFACE in found:
        return UsbKind.ADB
    if FASTBOOT_INTERFACE in found:
        return UsbKind.FASTBOOT
    if vendor_id == APPLE:
        if USBMUX_INTERFACE in found:
            return UsbKind.USBMUX
        if product_id in APPLE_RECOVERY_PIDS:
            return UsbKind.APPLE_RECOVERY
        if product_id in APPLE_DFU_PIDS:
            return UsbKind.APPLE_DFU
        return UsbKind.UNKNOWN
    if vendor_id in ANDROID_VENDORS and any(
        cls == STILL_IMAGE_CLASS or (cls, sub) == (0xFF, 0xFF) for cls, sub, _ in found
    ):
        # A known phone maker showing only MTP/PTP: USB debugging is off.
        return UsbKind.MTP
    return UsbKind.UNKNOWN
