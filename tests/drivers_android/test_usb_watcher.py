"""The USB watcher reads a phone's descriptors once per enumeration, not on every poll: on a
station each read is control transfers to every phone on the hub four times a second."""

from __future__ import annotations

from typing import Any

import usb.core

from drivers.emulated.android.lab import AndroidLab
from drivers.emulated.usb_bus import VirtualBackend
from drivers.usb.discovery import UsbWatcher


class CountingBackend(VirtualBackend):
    """The lab's backend, counting device opens (every descriptor string read starts with
    one), and refusing them while ``refuse`` is set, as libusb does without udev's permission."""

    def __init__(self, lab: AndroidLab) -> None:
        super().__init__(lab.bus)
        self.opens = 0
        self.refuse = False

    def open_device(self, dev: Any) -> Any:
        self.opens += 1
        if self.refuse:
            raise usb.core.USBError("Access denied (insufficient permissions)", -3, 13)
        return super().open_device(dev)


def test_a_known_phone_is_not_read_again(lab: AndroidLab) -> None:
    lab.attach("pixel-8-clean", tcp_port=None, zero_delay=True)
    backend = CountingBackend(lab)
    watcher = UsbWatcher(backend)
    (event,) = watcher.poll()
    assert event.kind == "attached" and event.device.serial
    read = backend.opens
    assert read > 0
    assert watcher.poll() == [] and watcher.poll() == []
    assert backend.opens == read


def test_a_phone_that_enumerates_again_is_read_again(lab: AndroidLab) -> None:
    lab.attach("pixel-8-clean", tcp_port=None, zero_delay=True)
    backend = CountingBackend(lab)
    watcher = UsbWatcher(backend)
    (event,) = watcher.poll()
    read = backend.opens
    (device,) = lab.bus.devices()
    lab.bus.attach(device)  # the same phone back on its port, with a new address (a reboot)
    watcher.poll()
    assert backend.opens > read
    lab.bus.detach(event.device.port_path)
    assert [e.kind for e in watcher.poll()] == ["detached"]


def test_a_description_read_without_permission_is_read_again(lab: AndroidLab) -> None:
    lab.attach("pixel-8-clean", tcp_port=None, zero_delay=True)
    backend = CountingBackend(lab)
    watcher = UsbWatcher(backend)
    backend.refuse = True
    assert watcher.poll() == []  # on the bus, but nothing of it can be read to classify it
    backend.refuse = False  # udev's rule has given the station access
    (event,) = watcher.poll()
    assert event.kind == "attached" and event.device.serial
    read = backend.opens
    assert watcher.poll() == []
    assert backend.opens == read
