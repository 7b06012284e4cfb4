"""USB vendor ids of phone makers: one table for classification and for the udev rules."""

from __future__ import annotations

APPLE = 0x05AC

ANDROID_VENDORS: dict[int, str] = {
    0x18D1: "Google",
    0x04E8: "Samsung",
    0x22B8: "Motorola",
    0x2717: "Xiaomi",
    0x2A70: "OnePlus",
    0x12D1: "Huawei",
    0x0FCE: "Sony",
    0x1004: "LG",
    0x0BB4: "HTC",
    0x2E04: "HMD Global (Nokia)",
    0x0421: "Nokia",
    0x19D2: "ZTE",
    0x22D9: "OPPO",
    0x2D95: "vivo",
    0x0B05: "ASUS",
    0x17EF: "Lenovo",
    0x1BBB: "TCL / Alcatel",
    0x2916: "Yota / Fairphone",
    0x05C6: "Qualcomm (some OnePlus and white-label phones)",
    0x2B0E: "LeTV / Le Eco (descriptors often say only 'Android')",
}

# Apple devices in recovery and DFU mode present these product ids instead of a usbmux interface.
APPLE_RECOVERY_PIDS = frozenset({0x1280, 0x1281, 0x1282, 0x1283})
# libirecovery (include/libirecovery.h): 0x1222 WTF, 0x1227 DFU, 0xF014 Port DFU (A12 and later,
# entered through the USB-C port controller).
APPLE_DFU_PIDS = frozenset({0x1222, 0x1227, 0xF014})


def vendor_name(vendor_id: int) -> str | None:
    if vendor_id == APPLE:
        return "Apple"
    return ANDROID_VENDORS.get(vendor_id)
