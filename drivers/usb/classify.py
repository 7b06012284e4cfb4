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


MTP_INTERFACE = (0x06, 0x01, 0x01)  # still image / MTP, as Android's MTP function declares it
VENDOR_SPECIFIC = 0xFF


def classify(
    vendor_id: int,
    product_id: int,
    interfaces: Iterable[tuple[int, int, int]],
    interface_names: Iterable[str | None] = (),
) -> UsbKind:
    found = set(interfaces)
    named_mtp = any(name and "MTP" in name.upper() for name in interface_names)
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
    if MTP_INTERFACE in found or (
        named_mtp and any(cls in (STILL_IMAGE_CLASS, VENDOR_SPECIFIC) for cls, _, _ in found)
    ):
        # A phone under a chip maker's or an unlisted vendor id (Qualcomm 05c6 on some
        # OnePlus, descriptors that only say "Android"): its MTP interface still says phone.
        return UsbKind.MTP
    return UsbKind.UNKNOWN
