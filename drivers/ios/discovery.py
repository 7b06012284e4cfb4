"""iPhones coming and going, as usbmuxd reports them (Listen: Attached / Detached)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import TracebackType

from pymobiledevice3.usbmux import MuxConnection, MuxDevice, create_mux, list_devices

from drivers.ios.errors import translated

SYSTEM_USBMUXD = "/var/run/usbmuxd"


class MuxEventKind(StrEnum):
    ATTACHED = "attached"
    DETACHED = "detached"


@dataclass(frozen=True, slots=True)
class MuxEvent:
    kind: MuxEventKind
    udid: str
    device_id: int  # usbmuxd's handle; a phone gets a new one each time it reattaches
    connection_type: str = "USB"
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


async def list_iphones(usbmux_address: str = SYSTEM_USBMUXD) -> list[str]:
    """UDIDs of the USB-attached iPhones usbmuxd knows now."""
    with translated("listing phones on usbmuxd"):
        devices = await list_devices(usbmux_address=usbmux_address)
    return [d.serial for d in devices if d.is_usb]


class UsbmuxWatcher:
    """Async iterator of attach/detach events; phones already attached come first as ATTACHED.

    ``async with UsbmuxWatcher(addr) as watcher: async for event in watcher: ...``
    """

    def __init__(self, usbmux_address: str = SYSTEM_USBMUXD) -> None:
        self.usbmux_address = usbmux_address
        self._mux: MuxConnection | None = None
        self._known: dict[int, MuxDevice] = {}
        self._queue: asyncio.Queue[MuxEvent | BaseException] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None

    async def start(self) -> UsbmuxWatcher:
        with translated("subscribing to usbmuxd events"):
            self._mux = await create_mux(usbmux_address=self.usbmux_address)
            await self._mux.listen()
        # One reader owns the socket, so a caller's timeout never cuts a message in half.
        self._pump = asyncio.create_task(self._read(self._mux), name="usbmux-watcher")
        return self

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        if self._mux is not None:
            await self._mux.close()
            self._mux = None

    async def __aenter__(self) -> UsbmuxWatcher:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> AsyncIterator[MuxEvent]:
        return self

    async def __anext__(self) -> MuxEvent:
        if self._pump is None and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def next_event(self, timeout_s: float) -> MuxEvent | None:
        """The next event, or None if none came within ``timeout_s``."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout=max(timeout_s, 0))
        except TimeoutError:
            return None

    async def _read(self, mux: MuxConnection) -> None:
        try:
            while True:
                with translated("waiting for usbmuxd events"):
                    await mux.receive_device_state_update()
                for event in self._diff(mux.devices):
                    self._queue.put_nowait(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # handed to the consumer, who decides what a lost usbmuxd means
            self._queue.put_nowait(exc)

    def _diff(self, devices: list[MuxDevice]) -> list[MuxEvent]:
        events, self._known = changes(self._known, devices)
        return events


def changes(
    known: dict[int, MuxDevice], devices: list[MuxDevice]
) -> tuple[list[MuxEvent], dict[int, MuxDevice]]:
    """The events between the devices ``known`` (by usbmuxd DeviceID) and the list the client
    holds after a message (it keeps the current list, so what changed is the event), detaches
    first, and the new ``known``."""
    now = {d.devid: d for d in devices}
    events = [
        MuxEvent(MuxEventKind.DETACHED, d.serial, devid, d.connection_type)
        for devid, d in known.items()
        if devid not in now
    ]
    events += [
        MuxEvent(MuxEventKind.ATTACHED, d.serial, devid, d.connection_type)
        for devid, d in now.items()
        if devid not in known
    ]
    return events, now
