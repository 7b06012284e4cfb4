"""iPhones as the virtual USB bus shows them when they are not in normal (usbmux) mode.

Product ids and the DFU interface follow libirecovery (include/libirecovery.h): recovery mode
0x1280-0x1283, DFU 0x1227, Port DFU 0xF014 (A12 and later). The serial string carries CPID/ECID
as iBoot writes it. Nothing talks to these: the station only has to recognise them.
"""

from __future__ import annotations

from drivers.emulated.usb_bus import Interface, VirtualUsbDevice

APPLE = 0x05AC
RECOVERY = 0x1281
DFU = 0x1227
PORT_DFU = 0xF014
_PRODUCT = {
    RECOVERY: "Apple Mobile Device (Recovery Mode)",
    DFU: "Apple Mobile Device (DFU Mode)",
    PORT_DFU: "Apple Mobile Device (DFU Mode)",
}


def apple_boot_device(product_id: int, port_path: str, cpid: int, ecid: int) -> VirtualUsbDevice:
    """An iPhone in recovery, DFU or Port DFU mode on ``port_path``."""
    serial = f"CPID:{cpid:04X} CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:{ecid:016X} IBFL:3C"
    # Apple's boot-mode interface: vendor class 0xFE (DFU, protocol 0) with no usbmux interface.
    interfaces = (Interface(0, 0xFE, 0x01, 0x00),)
    return VirtualUsbDevice(
        vendor_id=APPLE,
        product_id=product_id,
        manufacturer="Apple Inc.",
        product=_PRODUCT.get(product_id, "Apple Mobile Device"),
        serial=serial,
        port_path=port_path,
        interfaces=interfaces,
    )
