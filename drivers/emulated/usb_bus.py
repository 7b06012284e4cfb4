"""A virtual USB bus that pyusb enumerates like a real one.

`VirtualUsbBus.backend()` is a pyusb backend (`usb.backend.IBackend`): `usb.core.find(backend=…)`
lists the lab's phones with realistic device, configuration, interface, endpoint and string
descriptors, and bulk transfers reach the emulated phone's USB function. Errors are the ones
libusb gives: a timed-out read raises USBTimeoutError, a device that left the bus raises USBError
with errno ENODEV. So the station's USB code runs unchanged against the lab and a real hub.
"""

from __future__ import annotations

import array
import errno
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

import usb.backend
import usb.core
import usb.util

# A string descriptor's bLength is one byte: at most 253 bytes of UTF-16, 126 characters.
MAX_STRING_CHARS = 126
LIBUSB_ERROR_NO_DEVICE = -4
LIBUSB_ERROR_TIMEOUT = -7
ENDPOINT_IN = 0x80
BULK = 0x02


def no_device() -> usb.core.USBError:
    return usb.core.USBError(
        "No such device (it may have been disconnected)", LIBUSB_ERROR_NO_DEVICE, errno.ENODEV
    )


def timeout() -> usb.core.USBTimeoutError:
    return usb.core.USBTimeoutError("Operation timed out", LIBUSB_ERROR_TIMEOUT, errno.ETIMEDOUT)


class UsbFunction(Protocol):
    """The phone side of an interface's bulk endpoints."""

    def host_write(self, endpoint: int, data: bytes, timeout_s: float) -> int: ...

    def host_read(self, endpoint: int, size: int, timeout_s: float) -> bytes: ...

    def disconnect(self) -> None: ...


@dataclass(frozen=True)
class Endpoint:
    address: int
    max_packet: int = 512
    attributes: int = BULK


@dataclass(frozen=True)
class Interface:
    number: int
    cls: int
    subclass: int
    protocol: int
    endpoints: tuple[Endpoint, ...] = ()
    name: str | None = None


@dataclass
class VirtualUsbDevice:
    vendor_id: int
    product_id: int
    manufacturer: str
    product: str
    serial: str | None
    port_path: str  # "1-2.3": bus 1, hub port 2, port 3
    interfaces: tuple[Interface, ...]
    function: UsbFunction | None = None
    bcd_device: int = 0x0440
    address: int = 0
    strings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = [self.manufacturer, self.product, self.serial or ""]
        names += [i.name for i in self.interfaces if i.name]
        self.strings = names

    def string_index(self, text: str | None) -> int:
        if not text:
            return 0
        return self.strings.index(text) + 1


class _Desc:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class VirtualUsbBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, VirtualUsbDevice] = {}
        self._addresses = itertools.count(2)

    def attach(self, device: VirtualUsbDevice) -> None:
        with self._lock:
            old = self._devices.pop(device.port_path, None)
            device.address = next(self._addresses)  # a re-plugged device gets a new address
            self._devices[device.port_path] = device
        if old is not None and old.function is not None:
            old.function.disconnect()

    def detach(self, port_path: str) -> VirtualUsbDevice | None:
        with self._lock:
            device = self._devices.pop(port_path, None)
        if device is not None and device.function is not None:
            device.function.disconnect()
        return device

    def devices(self) -> list[VirtualUsbDevice]:
        with self._lock:
            return list(self._devices.values())

    def is_attached(self, device: VirtualUsbDevice) -> bool:
        with self._lock:
            return self._devices.get(device.port_path) is device

    def backend(self) -> VirtualBackend:
        return VirtualBackend(self)


class BusView(Protocol):
    """What the backend needs of a bus: the lab's own, or the lab's across a socket
    (`usb_remote.RemoteUsbBus`)."""

    def devices(self) -> list[VirtualUsbDevice]: ...

    def is_attached(self, device: VirtualUsbDevice) -> bool: ...


class VirtualBackend(usb.backend.IBackend):  # type: ignore[misc]
    def __init__(self, bus: BusView) -> None:
        self.bus = bus

    def _live(self, dev: VirtualUsbDevice) -> VirtualUsbDevice:
        if not self.bus.is_attached(dev):
            raise no_device()
        return dev

    def enumerate_devices(self) -> list[VirtualUsbDevice]:
        return self.bus.devices()

    def get_device_descriptor(self, dev: VirtualUsbDevice) -> _Desc:
        bus_no, _, ports = dev.port_path.partition("-")
        port_numbers = tuple(int(x) for x in ports.split(".")) if ports else ()
        return _Desc(
            bLength=18,
            bDescriptorType=1,
            bcdUSB=0x0210,
            bDeviceClass=0,
            bDeviceSubClass=0,
            bDeviceProtocol=0,
            bMaxPacketSize0=64,
            idVendor=dev.vendor_id,
            idProduct=dev.product_id,
            bcdDevice=dev.bcd_device,
            iManufacturer=dev.string_index(dev.manufacturer),
            iProduct=dev.string_index(dev.product),
            iSerialNumber=dev.string_index(dev.serial),
            bNumConfigurations=1,
            address=dev.address,
            bus=int(bus_no),
            port_number=port_numbers[-1] if port_numbers else None,
            port_numbers=port_numbers,
            speed=usb.util.SPEED_HIGH,
        )

    def get_configuration_descriptor(self, dev: VirtualUsbDevice, config: int) -> _Desc:
        if config != 0:
            raise usb.core.USBError("Entity not found", -5, errno.ENOENT)
        total = 9 + sum(9 + 7 * len(i.endpoints) for i in dev.interfaces)
        return _Desc(
            bLength=9,
            bDescriptorType=2,
            wTotalLength=total,
            bNumInterfaces=len(dev.interfaces),
            bConfigurationValue=1,
            iConfiguration=0,
            bmAttributes=0x80,
            bMaxPower=250,
            extra_descriptors=[],
        )

    def get_interface_descriptor(
        self, dev: VirtualUsbDevice, intf: int, alt: int, config: int
    ) -> _Desc:
        if intf >= len(dev.interfaces) or alt != 0:
            raise IndexError("Invalid interface index")
        i = dev.interfaces[intf]
        return _Desc(
            bLength=9,
            bDescriptorType=4,
            bInterfaceNumber=i.number,
            bAlternateSetting=0,
            bNumEndpoints=len(i.endpoints),
            bInterfaceClass=i.cls,
            bInterfaceSubClass=i.subclass,
            bInterfaceProtocol=i.protocol,
            iInterface=dev.string_index(i.name),
            extra_descriptors=[],
        )

    def get_endpoint_descriptor(
        self, dev: VirtualUsbDevice, ep: int, intf: int, alt: int, config: int
    ) -> _Desc:
        e = dev.interfaces[intf].endpoints[ep]
        return _Desc(
            bLength=7,
            bDescriptorType=5,
            bEndpointAddress=e.address,
            bmAttributes=e.attributes,
            wMaxPacketSize=e.max_packet,
            bInterval=0,
            bRefresh=0,
            bSynchAddress=0,
            extra_descriptors=[],
        )

    def open_device(self, dev: VirtualUsbDevice) -> VirtualUsbDevice:
        return self._live(dev)

    def close_device(self, dev_handle: VirtualUsbDevice) -> None:
        return None

    def set_configuration(self, dev_handle: VirtualUsbDevice, config_value: int) -> None:
        self._live(dev_handle)

    def get_configuration(self, dev_handle: VirtualUsbDevice) -> int:
        self._live(dev_handle)
        return 1

    def claim_interface(self, dev_handle: VirtualUsbDevice, intf: int) -> None:
        self._live(dev_handle)

    def release_interface(self, dev_handle: VirtualUsbDevice, intf: int) -> None:
        return None

    def is_kernel_driver_active(self, dev_handle: VirtualUsbDevice, intf: int) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle: VirtualUsbDevice, intf: int) -> None:
        return None

    def attach_kernel_driver(self, dev_handle: VirtualUsbDevice, intf: int) -> None:
        return None

    def clear_halt(self, dev_handle: VirtualUsbDevice, ep: int) -> None:
        self._live(dev_handle)

    def reset_device(self, dev_handle: VirtualUsbDevice) -> None:
        self._live(dev_handle)

    def bulk_write(
        self, dev_handle: VirtualUsbDevice, ep: int, intf: int, data: array.array, timeout: int
    ) -> int:
        dev = self._live(dev_handle)
        if dev.function is None:
            raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
        return dev.function.host_write(ep, bytes(data), seconds(timeout))

    def bulk_read(
        self, dev_handle: VirtualUsbDevice, ep: int, intf: int, buff: array.array, timeout: int
    ) -> int:
        dev = self._live(dev_handle)
        if dev.function is None:
            raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
        data = dev.function.host_read(ep, len(buff) * buff.itemsize, seconds(timeout))
        buff[: len(data)] = array.array("B", data)
        return len(data)

    def ctrl_transfer(
        self,
        dev_handle: VirtualUsbDevice,
        bmRequestType: int,
        bRequest: int,
        wValue: int,
        wIndex: int,
        data: array.array,
        timeout: int,
    ) -> int:
        dev = self._live(dev_handle)
        if bmRequestType & 0x80 and bRequest == 0x06 and (wValue >> 8) == 0x03:
            index = wValue & 0xFF
            if index == 0:
                raw = bytes([4, 3, 0x09, 0x04])  # one language: en-US
            elif index <= len(dev.strings):
                text = dev.strings[index - 1][:MAX_STRING_CHARS].encode("utf-16-le")
                raw = bytes([2 + len(text), 3]) + text
            else:
                raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
            raw = raw[: len(data)]
            data[: len(raw)] = array.array("B", raw)
            return len(raw)
        raise usb.core.USBError("Pipe error", -9, errno.EPIPE)


def seconds(timeout_ms: int) -> float:
    return timeout_ms / 1000 if timeout_ms and timeout_ms > 0 else 3600.0
