"""An adb-shell transport on pyusb (adb-shell's own USB transport needs libusb1; the station
already talks to the bus through pyusb, real or virtual)."""

from __future__ import annotations

from typing import Any

import usb.core
import usb.util
from adb_shell.exceptions import TcpTimeoutException
from adb_shell.transport.base_transport import BaseTransport

from drivers.contract import DeviceGone
from drivers.usb.classify import ADB_INTERFACE


class PyUsbTransport(BaseTransport):  # type: ignore[misc]
    def __init__(self, device: usb.core.Device) -> None:
        self._device = device
        self._ep_in: Any = None
        self._ep_out: Any = None
        self._interface: int | None = None

    def connect(self, transport_timeout_s: float | None = None) -> None:
        try:
            config = self._device.get_active_configuration()
            for intf in config:
                triple = (intf.bInterfaceClass, intf.bInterfaceSubClass, intf.bInterfaceProtocol)
                if triple == ADB_INTERFACE:
                    break
            else:
                raise DeviceGone("the phone shows no ADB interface (USB debugging is off)")
            if self._device.is_kernel_driver_active(intf.bInterfaceNumber):
                self._device.detach_kernel_driver(intf.bInterfaceNumber)
            usb.util.claim_interface(self._device, intf.bInterfaceNumber)
            self._interface = intf.bInterfaceNumber
            for ep in intf:
                if usb.util.endpoint_direction(ep.bEndpointAddress) == usb.util.ENDPOINT_IN:
                    self._ep_in = ep
                else:
                    self._ep_out = ep
        except usb.core.USBError as exc:
            raise DeviceGone(f"the phone left the bus ({exc.strerror})") from exc

    def close(self) -> None:
        if self._interface is not None:
            try:
                usb.util.release_interface(self._device, self._interface)
                usb.util.dispose_resources(self._device)
            except usb.core.USBError:
                pass
            self._interface = None

    def bulk_write(self, data: bytes, transport_timeout_s: float | None) -> int:
        try:
            return int(self._ep_out.write(data, timeout=_ms(transport_timeout_s)))
        except usb.core.USBTimeoutError as exc:
            raise TcpTimeoutException("USB write timed out") from exc
        except usb.core.USBError as exc:
            raise DeviceGone(f"the phone left the bus ({exc.strerror})") from exc

    def bulk_read(self, numbytes: int, transport_timeout_s: float | None) -> bytes:
        try:
            return bytes(self._ep_in.read(numbytes, timeout=_ms(transport_timeout_s)))
        except usb.core.USBTimeoutError:
            return b""  # adb-shell keeps reading until its own read timeout
        except usb.core.USBError as exc:
            raise DeviceGone(f"the phone left the bus ({exc.strerror})") from exc


def _ms(seconds: float | None) -> int:
    return int(seconds * 1000) if seconds else 0
