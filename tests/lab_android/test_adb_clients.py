"""The lab's adbd, driven by the real clients: adb-shell (sync and async, TCP and USB via pyusb)
and Debian's `adb`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import usb.core
from adb_shell.adb_device import AdbDevice, AdbDeviceTcp
from adb_shell.adb_device_async import AdbDeviceTcpAsync
from adb_shell.auth.sign_pythonrsa import PythonRSASigner

from drivers.android.usb_transport import PyUsbTransport
from drivers.emulated.android.lab import AndroidLab


def _tcp(lab: AndroidLab, port: int, signer: PythonRSASigner) -> AdbDeviceTcp:
    dev = AdbDeviceTcp("127.0.0.1", port, default_transport_timeout_s=5)
    dev.connect(rsa_keys=[signer], auth_timeout_s=5)
    return dev


def test_adb_shell_tcp_reads_the_profile(lab: AndroidLab, signer: PythonRSASigner) -> None:
    phone = lab.attach("samsung-s23-clean", serial="R5CWTEST01")
    assert phone.tcp_port is not None
    dev = _tcp(lab, phone.tcp_port, signer)
    assert dev.available
    assert dev.shell("getprop ro.serialno") == "R5CWTEST01\n"
    assert dev.shell("getprop ro.product.manufacturer") == "samsung\n"
    assert dev.shell("getprop ro.crypto.state") == "encrypted\n"
    assert dev.shell("settings get secure user_setup_complete") == "1\n"
    assert "no owners" in dev.shell("dpm list-owners")
    # 41 the owner installed, 6 the carrier preloaded (they survive a reset).
    assert dev.shell("pm list packages -3 | wc -l") == "47\n"
    assert dev.shell("pm list packages -3 -i | grep -v -c installer=null") == "41\n"
    assert dev.shell("find /sdcard/DCIM -type f | wc -l") == "1290\n"
    assert "level: 64" in dev.shell("dumpsys battery")
    assert "[ro.product.model]: [SM-S911B]" in dev.shell("getprop")
    dev.close()
    assert phone.received[0] == "shell:getprop ro.serialno"


async def test_adb_shell_async_client(lab: AndroidLab, signer: PythonRSASigner) -> None:
    phone = lab.attach("pixel-8-clean", serial="ASYNC0001")
    assert phone.tcp_port is not None
    dev = AdbDeviceTcpAsync("127.0.0.1", phone.tcp_port, default_transport_timeout_s=5)
    assert await dev.connect(rsa_keys=[signer], auth_timeout_s=5)
    assert await dev.shell("getprop ro.serialno") == "ASYNC0001\n"
    await dev.close()


def test_virtual_usb_descriptors_are_realistic(lab: AndroidLab) -> None:
    lab.attach("pixel-8-clean", port_path="1-4.2", tcp_port=None)
    lab.attach("pixel-6a-debug-off", port_path="1-4.3", tcp_port=None)
    devices = {d.port_numbers: d for d in usb.core.find(find_all=True, backend=lab.bus.backend())}
    adb, mtp = devices[(4, 2)], devices[(4, 3)]
    assert (adb.idVendor, adb.idProduct, adb.bus) == (0x18D1, 0x4EE7, 1)
    assert (adb.manufacturer, adb.product, adb.serial_number) == (
        "Google",
        "Pixel 8",
        "39021FDH2000AB",
    )
    (intf,) = list(adb.get_active_configuration())
    assert (intf.bInterfaceClass, intf.bInterfaceSubClass, intf.bInterfaceProtocol) == (
        0xFF,
        0x42,
        1,
    )
    assert sorted(ep.bEndpointAddress for ep in intf) == [0x01, 0x81]
    (intf,) = list(mtp.get_active_configuration())
    assert intf.bInterfaceClass == 0x06  # still image (MTP): USB debugging is off


def test_adb_shell_over_the_virtual_usb_bus(lab: AndroidLab, signer: PythonRSASigner) -> None:
    lab.attach("moto-g54-clean", tcp_port=None)
    (udev,) = list(usb.core.find(find_all=True, backend=lab.bus.backend()))
    dev = AdbDevice(PyUsbTransport(udev), default_transport_timeout_s=2)
    dev.connect(rsa_keys=[signer], auth_timeout_s=5)
    assert dev.shell("getprop ro.serialno") == "ZY22H7KLMN\n"
    dev.close()


def test_shell_user_permissions_are_those_of_a_real_phone(
    lab: AndroidLab, signer: PythonRSASigner
) -> None:
    phone = lab.attach("pixel-8-clean")
    assert phone.tcp_port is not None
    dev = _tcp(lab, phone.tcp_port, signer)
    # A user build: `am` delivers the unprotected broadcast and reports result=0, and
    # MasterClearReceiver ignores it (the shell lacks MASTER_CLEAR): nothing happens.
    out = dev.shell("am broadcast -a android.intent.action.FACTORY_RESET -p android")
    assert out.endswith("Broadcast completed: result=0\n")
    assert "inaccessible or not found" in dev.shell("recovery --wipe_data")
    assert "WRITE_SECURE_SETTINGS" in dev.shell("settings put global adb_enabled 0")
    assert dev.shell("nosuchtool") == "/system/bin/sh: nosuchtool: inaccessible or not found\n"
    assert phone.phone.resets == 0


def test_authorisation_prompt_and_factory_reset(lab: AndroidLab, signer: PythonRSASigner) -> None:
    phone = lab.attach("pixel-8-clean", zero_delay=True, tcp_port=None)
    backend = lab.bus.backend()
    (udev,) = list(usb.core.find(find_all=True, backend=backend))
    dev = AdbDevice(PyUsbTransport(udev), default_transport_timeout_s=2)
    dev.connect(rsa_keys=[signer], auth_timeout_s=5)
    assert "auth: 'Allow USB debugging?' shown" in phone.phone.events
    assert len(phone.phone.state.authorized_keys) == 1
    dev._open(b"reboot:recovery", 2.0, 5.0, None)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and phone.phone.resets == 0:
        time.sleep(0.05)
    assert phone.phone.resets == 1
    state = phone.phone.state
    assert (state.accounts, state.apps, state.setup_complete, state.authorized_keys) == (
        [],
        0,
        False,
        set(),
    )
    assert sum(state.files.values()) == 0
    # The setup wizard: debugging off (MTP only), and it cannot be switched on from there.
    while time.monotonic() < deadline and phone.phone.usb_function != "mtp":
        time.sleep(0.05)
    assert (phone.phone.usb_function, phone.screen) == ("mtp", "welcome")
    phone.technician.enable_usb_debugging()
    time.sleep(0.2)
    assert phone.phone.usb_function == "mtp"
    # Finishing setup flips the setup settings; only then can debugging be switched on.
    phone.technician.finish_setup()
    phone.technician.enable_usb_debugging()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and phone.phone.usb_function != "adb":
        time.sleep(0.05)
    (udev,) = list(usb.core.find(find_all=True, backend=backend))
    dev = AdbDevice(PyUsbTransport(udev), default_transport_timeout_s=2)
    dev.connect(rsa_keys=[signer], auth_timeout_s=5)
    # The reset forgot the station: it had to ask again.
    assert phone.phone.events.count("auth: 'Allow USB debugging?' shown") == 2
    assert dev.shell("settings get secure user_setup_complete") == "1\n"
    assert dev.shell("settings get global boot_count") == "1\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def debian_adb(tmp_path: Path):  # type: ignore[no-untyped-def]
    adb = shutil.which("adb")
    # Not a skip: CI installs Debian's adb, and this conformance check must run.
    assert adb, "Debian's adb is not installed (apt-get install adb)"
    port = _free_port()
    env = {**os.environ, "HOME": str(tmp_path), "ANDROID_USER_HOME": str(tmp_path / ".android")}

    def run(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [adb, "-P", str(port), *args], env=env, capture_output=True, text=True, timeout=timeout
        )

    yield run
    run("kill-server", timeout=10)


def test_debian_adb_connects_authorises_and_reads_the_serial(lab: AndroidLab, debian_adb) -> None:  # type: ignore[no-untyped-def]
    phone = lab.attach("pixel-8-clean", serial="DEMO123")
    target = f"127.0.0.1:{phone.tcp_port}"
    debian_adb("connect", target)
    deadline = time.monotonic() + 15
    out = debian_adb("-s", target, "shell", "getprop", "ro.serialno")
    while out.stdout.strip() != "DEMO123" and time.monotonic() < deadline:
        time.sleep(0.3)  # the first connect waits on the "Allow USB debugging?" answer
        out = debian_adb("-s", target, "shell", "getprop", "ro.serialno")
    assert out.stdout.strip() == "DEMO123", out.stderr
    devices = debian_adb("devices", "-l").stdout
    assert (
        f"{target}" in devices and "model:Pixel_8" in devices and "device product:shiba" in devices
    )


def test_lab_command_serves_debian_adb(debian_adb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wipe_station.cli.main",
            "lab",
            "android",
            "--listen",
            f"127.0.0.1:{port}",
            "--serial",
            "DEMO123",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert "serial DEMO123" in lines[0]
        assert "virtual USB: port 1-1  ID 18d1:4ee7 Google Pixel 8  serial DEMO123" in lines[2]
        target = f"127.0.0.1:{port}"
        debian_adb("connect", target)
        deadline = time.monotonic() + 15
        out = debian_adb("-s", target, "shell", "getprop", "ro.serialno")
        while out.stdout.strip() != "DEMO123" and time.monotonic() < deadline:
            time.sleep(0.3)
            out = debian_adb("-s", target, "shell", "getprop", "ro.serialno")
        assert out.stdout.strip() == "DEMO123", out.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)
