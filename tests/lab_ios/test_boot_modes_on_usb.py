"""iPhones in recovery, DFU and Port DFU mode on the virtual bus are recognised from descriptors."""

from __future__ import annotations

import pytest
import usb.core

from drivers.contract import UsbKind
from drivers.emulated.ios.usb import DFU, PORT_DFU, RECOVERY, apple_boot_device
from drivers.emulated.usb_bus import VirtualUsbBus
from drivers.usb.discovery import describe


@pytest.mark.parametrize(
    ("product_id", "kind"),
    [
        (PORT_DFU, UsbKind.APPLE_DFU),
        (DFU, UsbKind.APPLE_DFU),
        (RECOVERY, UsbKind.APPLE_RECOVERY),
    ],
)
def test_boot_mode_iphone_is_classified(product_id: int, kind: UsbKind) -> None:
    bus = VirtualUsbBus()
    bus.attach(apple_boot_device(product_id, "1-4", cpid=0x8110, ecid=0x1A2B3C4D5E))
    (dev,) = list(usb.core.find(find_all=True, backend=bus.backend()))
    info = describe(dev)
    assert (info.vendor_id, info.product_id, info.kind) == (0x05AC, product_id, kind)
    assert info.serial is not None and "ECID:0000001A2B3C4D5E" in info.serial
