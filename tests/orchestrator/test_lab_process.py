"""The lab in its own process: the station reaches its phones only through the usbmuxd socket
and the USB bus socket, and gets the same outcomes as with the lab in-process."""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path

import pytest
import usb.core

from drivers.emulated.android.lab import AndroidLab
from drivers.emulated.usb_remote import RemoteUsbBus, UsbBusServer
from drivers.usb.discovery import scan
from wipe_station.context import open_station
from wipe_station.operators import actor_of
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.orchestrator.headless import run_headless


def test_mixed_fleet_in_a_lab_process(home: Path, tmp_path: Path) -> None:
    # SQLite only: the database is not what this test is about.
    ctx = open_station(home, f"sqlite:///{tmp_path / 'station.db'}")
    try:
        op = demo_operator(ctx, None, None)
        summary = asyncio.run(run_headless(ctx, actor_of(op), 16, lab_process=True))
        # The same outcomes as tests/orchestrator/test_headless_fleet.py's in-process fleet,
        # including the guided reset, which needs the technician's hands across the process.
        assert (summary.phones, summary.certified, summary.blocked, summary.failed) == (
            16,
            10,
            4,
            2,
        ), summary.line()
        assert summary.lab_cpu_s is not None and summary.lab_cpu_s > 0
    finally:
        ctx.close()


def test_remote_bus_gives_libusb_errors(tmp_path: Path) -> None:
    with AndroidLab() as lab:
        lab.attach("pixel-8-clean", port_path="1-1", tcp_port=None, zero_delay=True)
        server = UsbBusServer(lab.bus, str(tmp_path / "usb.sock"), {})
        server.start()
        try:
            bus = RemoteUsbBus(str(tmp_path / "usb.sock"))
            backend = bus.backend()
            assert sorted(scan(backend)) == ["1-1"]
            (dev,) = bus.devices()
            assert bus.is_attached(dev)
            assert dev.function is not None
            with pytest.raises(usb.core.USBTimeoutError):
                dev.function.host_read(0x81, 512, 0.05)  # the phone has nothing to say
            lab.bus.detach("1-1")
            assert not bus.is_attached(dev)
            with pytest.raises(usb.core.USBError) as gone:
                dev.function.host_write(0x01, b"CNXN", 1.0)
            assert gone.value.errno == errno.ENODEV
        finally:
            server.stop()


def test_bus_frames_survive_any_split_and_a_peer_gone_mid_frame() -> None:
    """One recv usually brings a whole frame, but a stream socket may deliver it a byte at a
    time, or several frames at once; a peer that hangs up mid-frame is no frame at all."""
    import socket
    import threading

    from drivers.emulated.usb_remote import FrameReader, send_frame

    ours, theirs = socket.socketpair()
    frames = [({"op": "read", "n": i}, bytes(range(i % 256)) * (i + 1)) for i in range(6)]
    sent = bytearray()
    for header, data in frames:
        pair = socket.socketpair()
        send_frame(pair[0], header, data)
        pair[0].close()
        sent += pair[1].recv(1 << 20)
        pair[1].close()

    def trickle() -> None:
        # the first frames a byte at a time, the rest in one write, then half a frame
        cut = len(sent) // 2
        for i in range(cut):
            theirs.send(sent[i : i + 1])
        theirs.sendall(sent[cut:])
        theirs.sendall(sent[:10])
        theirs.close()

    writer = threading.Thread(target=trickle)
    writer.start()
    reader = FrameReader(ours)
    got = [reader.frame() for _ in frames]
    assert got == frames
    assert reader.frame() is None  # ten bytes of a frame, then the peer hung up
    writer.join()
    ours.close()
