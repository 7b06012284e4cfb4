"""What a real ADB client sees from each faulty lab phone."""

from __future__ import annotations

import time

import pytest
import usb.core
from adb_shell import exceptions as adb_errors
from adb_shell.adb_device import AdbDevice, AdbDeviceTcp
from adb_shell.auth.sign_pythonrsa import PythonRSASigner

from drivers.android.usb_transport import PyUsbTransport
from drivers.contract import DeviceGone
from drivers.emulated.android.lab import AndroidLab


def _usb(lab: AndroidLab, signer: PythonRSASigner) -> AdbDevice:
    # The phone's USB function changes on its own clock; the lab's loop puts it on the bus a
    # moment later (under load, after the caller looked): wait for it as a client polls.
    found: list[usb.core.Device] = []
    assert _wait(lambda: found.extend(usb.core.find(find_all=True, backend=lab.bus.backend()))
                 or bool(found))  # fmt: skip
    (udev,) = found
    dev = AdbDevice(PyUsbTransport(udev), default_transport_timeout_s=1)
    dev.connect(rsa_keys=[signer], auth_timeout_s=3, read_timeout_s=3)
    return dev


def _wait(predicate, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_denied_prompt_leaves_the_client_unauthorised(
    lab: AndroidLab, signer: PythonRSASigner
) -> None:
    phone = lab.attach("pixel-6a-denies")
    dev = AdbDeviceTcp("127.0.0.1", phone.tcp_port or 0, default_transport_timeout_s=1)
    with pytest.raises((adb_errors.AdbTimeoutError, adb_errors.TcpTimeoutException)):
        dev.connect(rsa_keys=[signer], auth_timeout_s=1, read_timeout_s=1)
    assert phone.received == []  # nothing was ever opened
    assert phone.phone.state.authorized_keys == set()


def test_debugging_off_shows_only_mtp_until_the_technician_enables_it(lab: AndroidLab) -> None:
    phone = lab.attach("pixel-6a-debug-off", tcp_port=None)
    (udev,) = list(usb.core.find(find_all=True, backend=lab.bus.backend()))
    assert [i.bInterfaceClass for i in udev.get_active_configuration()] == [0x06]
    phone.technician.enable_usb_debugging()
    assert _wait(lambda: phone.phone.usb_function == "adb")
    (udev,) = list(usb.core.find(find_all=True, backend=lab.bus.backend()))
    assert [i.bInterfaceSubClass for i in udev.get_active_configuration()] == [0x42]


def test_unplugged_mid_reset_drops_the_link_before_the_phone_answers(
    lab: AndroidLab, signer: PythonRSASigner
) -> None:
    phone = lab.attach("pixel-8-unplugged", tcp_port=None)
    dev = _usb(lab, signer)
    with pytest.raises(DeviceGone):
        dev._open(b"reboot:recovery", 1.0, 2.0, None)
    assert list(usb.core.find(find_all=True, backend=lab.bus.backend())) == []
    assert "unplugged" in phone.phone.events


def test_slow_phone_answers_late(lab: AndroidLab, signer: PythonRSASigner) -> None:
    lab.attach("pixel-8-slow", tcp_port=None)
    dev = _usb(lab, signer)
    with pytest.raises(adb_errors.AdbTimeoutError):
        dev.shell("getprop ro.serialno", read_timeout_s=0.1)
    dev = _usb(lab, signer)
    assert dev.shell("getprop ro.serialno", read_timeout_s=3) == "39021FDHSLOW\n"


def test_garbled_frames_are_caught_by_the_client(lab: AndroidLab, signer: PythonRSASigner) -> None:
    lab.attach("samsung-s23-garbled", tcp_port=None)
    dev = _usb(lab, signer)
    with pytest.raises((adb_errors.InvalidCommandError, adb_errors.InvalidChecksumError)):
        for _ in range(5):
            dev.shell("getprop ro.serialno", read_timeout_s=2)


def test_never_returns_after_the_reset(lab: AndroidLab, signer: PythonRSASigner) -> None:
    phone = lab.attach("moto-g54-never-returns", tcp_port=None, zero_delay=True)
    dev = _usb(lab, signer)
    dev._open(b"reboot:recovery", 1.0, 2.0, None)
    assert _wait(lambda: "wipe: boot loop" in phone.phone.events)
    time.sleep(0.3)
    assert list(usb.core.find(find_all=True, backend=lab.bus.backend())) == []


def test_liar_comes_back_with_everything(lab: AndroidLab, signer: PythonRSASigner) -> None:
    phone = lab.attach("samsung-s23-liar", tcp_port=None, zero_delay=True)
    dev = _usb(lab, signer)
    dev._open(b"reboot:recovery", 1.0, 2.0, None)
    assert _wait(lambda: "wipe: done" in phone.phone.events)
    assert _wait(lambda: phone.phone.usb_function == "adb")
    prompts = phone.phone.events.count("auth: 'Allow USB debugging?' shown")
    dev = _usb(lab, signer)
    # Still trusts the old key (no new prompt) and still holds the apps.
    assert phone.phone.events.count("auth: 'Allow USB debugging?' shown") == prompts
    assert dev.shell("pm list packages -3 -i | grep -v -c installer=null") == "41\n"
