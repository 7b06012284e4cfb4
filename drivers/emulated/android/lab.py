"""The Android half of the device lab: emulated phones on a virtual USB bus and on TCP.

One event loop thread runs every phone, so a fleet of 64 costs one thread, not 64.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from drivers.emulated.android.adbd import AdbdConnection
from drivers.emulated.android.phone import EmulatedAndroid
from drivers.emulated.android.profile import AndroidProfile, load_profile
from drivers.emulated.android.usb_function import PassiveUsbFunction, UsbAdbFunction
from drivers.emulated.usb_bus import Endpoint, Interface, VirtualUsbBus, VirtualUsbDevice

ADB_IFACE = Interface(0, 0xFF, 0x42, 0x01, (Endpoint(0x81), Endpoint(0x01)), "ADB Interface")
MTP_IFACE = Interface(
    0, 0x06, 0x01, 0x01, (Endpoint(0x82), Endpoint(0x02), Endpoint(0x83, 28, 0x03)), "MTP"
)
FASTBOOT_IFACE = Interface(0, 0xFF, 0x42, 0x03, (Endpoint(0x81), Endpoint(0x01)), "fastboot")


@dataclass
class LabAndroid:
    """A handle on one lab phone for tests, demo and the foreground runner."""

    phone: EmulatedAndroid
    port_path: str
    tcp_host: str
    tcp_port: int | None
    _servers: list[asyncio.AbstractServer] = field(default_factory=list)
    _conns: set[Any] = field(default_factory=set)
    _usb_function: str | None = None

    @property
    def serial(self) -> str:
        return self.phone.serial

    @property
    def technician(self) -> Any:
        return self.phone.technician

    @property
    def received(self) -> list[str]:
        return self.phone.received

    @property
    def screen(self) -> str:
        """What the phone's screen shows, for a headless technician: "welcome" (setup
        wizard), "frp" ("Verify your account"), "home", "lockscreen", "recovery" or "off"."""
        return self.phone.screen


class AndroidLab:
    def __init__(self, bus: VirtualUsbBus | None = None, tcp_host: str = "127.0.0.1") -> None:
        self.bus = bus or VirtualUsbBus()
        self.tcp_host = tcp_host
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="android-lab", daemon=True
        )
        self._thread.start()
        self._phones: dict[str, LabAndroid] = {}
        self._ports = itertools.count(1)

    @property
    def serials(self) -> list[str]:
        return list(self._phones)

    def _call(self, coro: Any) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout=10)

    def attach(
        self,
        profile: str | AndroidProfile,
        *,
        port_path: str | None = None,
        serial: str | None = None,
        model: str | None = None,
        tcp_port: int | None = 0,
        zero_delay: bool = False,
    ) -> LabAndroid:
        """Plug a phone in. ``tcp_port``: 0 picks a free port, None means USB only."""
        prof = load_profile(profile) if isinstance(profile, str) else profile
        if zero_delay:
            prof = prof.without_delays()
        port_path = port_path or f"1-{next(self._ports)}"
        return self._call(self._attach(prof, port_path, serial, model, tcp_port))

    async def _attach(
        self,
        prof: AndroidProfile,
        port_path: str,
        serial: str | None,
        model: str | None,
        tcp_port: int | None,
    ) -> LabAndroid:
        phone = EmulatedAndroid(prof, self.loop, serial=serial, model=model)
        handle = LabAndroid(phone, port_path, self.tcp_host, tcp_port)
        self._phones[phone.serial] = handle
        phone.subscribe(lambda _p: self._sync(handle))
        await self._sync_async(handle)
        return handle

    def _sync(self, handle: LabAndroid) -> None:
        self.loop.create_task(self._sync_async(handle))

    async def _sync_async(self, handle: LabAndroid) -> None:
        """Make the bus and the TCP listener show what the phone presents now."""
        function = handle.phone.usb_function
        if function == handle._usb_function:
            return
        handle._usb_function = function
        # Leave the bus before the links break, as a real unplug does: a client that sees its
        # transfer fail must not still find the device when it looks again.
        self.bus.detach(handle.port_path)
        for conn_close in list(handle._conns):
            conn_close()
        handle._conns.clear()
        for server in handle._servers:
            server.close()
        handle._servers.clear()
        if function is None:
            return
        self.bus.attach(self._usb_device(handle, function))
        if function == "adb" and handle.tcp_port is not None:
            server = await asyncio.start_server(
                lambda r, w: self._serve_tcp(handle, r, w),
                self.tcp_host,
                handle.tcp_port,
                reuse_address=True,
            )
            handle.tcp_port = server.sockets[0].getsockname()[1]
            handle._servers.append(server)

    def _usb_device(self, handle: LabAndroid, function: str) -> VirtualUsbDevice:
        prof, phone = handle.phone.profile, handle.phone
        if function in ("adb", "recovery_adb"):
            usb = UsbAdbFunction(self.loop)
            conn = AdbdConnection(phone, usb.read_exactly, usb.device_write, usb.disconnect)
            handle._conns.add(usb.disconnect)
            self.loop.create_task(conn.run())
            # Recovery enumerates with its own product id (as fastboot and MTP modes do).
            pid = prof.product_id if function == "adb" else prof.product_id ^ 0x0002
            iface, fn = ADB_IFACE, usb
        else:
            iface, pid, fn = MTP_IFACE, prof.product_id ^ 0x0001, PassiveUsbFunction()
        return VirtualUsbDevice(
            vendor_id=prof.vendor_id,
            product_id=pid,
            manufacturer=prof.manufacturer,
            product=phone.model,
            serial=phone.serial,
            port_path=handle.port_path,
            interfaces=(iface,),
            function=fn,
        )

    async def _serve_tcp(
        self, handle: LabAndroid, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if handle.phone.usb_function != "adb":
            writer.close()
            return
        conn = AdbdConnection(handle.phone, reader.readexactly, writer.write, writer.close)
        handle._conns.add(writer.close)
        try:
            await conn.run()
        finally:
            handle._conns.discard(writer.close)

    def detach(self, serial: str) -> None:
        handle = self._phones.pop(serial)
        handle.phone.technician.unplug()

    def phones(self) -> Iterator[LabAndroid]:
        return iter(list(self._phones.values()))

    def get(self, serial: str) -> LabAndroid:
        return self._phones[serial]

    def close(self) -> None:
        async def shutdown() -> None:
            for handle in self._phones.values():
                for server in handle._servers:
                    server.close()
                for conn_close in list(handle._conns):
                    conn_close()
                self.bus.detach(handle.port_path)
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self.loop.is_running():
            self._call(shutdown())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
        self.loop.close()

    def __enter__(self) -> AndroidLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
