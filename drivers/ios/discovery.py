"""iPhones coming and going, as usbmuxd reports them (Listen: Attached / Detached), through the
process's one usbmuxd listener (`muxhub.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType

from pymobiledevice3.usbmux import list_devices

from drivers.ios.errors import translated
from drivers.ios.muxhub import MuxEvent, MuxEventKind, MuxHub, Subscription

__all__ = ["SYSTEM_USBMUXD", "MuxEvent", "MuxEventKind", "UsbmuxWatcher", "list_iphones"]

SYSTEM_USBMUXD = "/var/run/usbmuxd"


async def list_iphones(usbmux_address: str = SYSTEM_USBMUXD) -> list[str]:
    """UDIDs of the USB-attached iPhones usbmuxd knows now."""
    with translated("listing phones on usbmuxd"):
        devices = await list_devices(usbmux_address=usbmux_address)
    return [d.serial for d in devices if d.is_usb]


class UsbmuxWatcher:
    """Async iterator of attach/detach events; phones already attached come first as ATTACHED.
    A subscription to every phone on the usbmuxd hub the drivers share, not a Listen connection
    of its own.

    ``async with UsbmuxWatcher(addr) as watcher: async for event in watcher: ...``
    """

    def __init__(self, usbmux_address: str = SYSTEM_USBMUXD) -> None:
        self.usbmux_address = usbmux_address
        self._sub: Subscription | None = None

    async def start(self) -> UsbmuxWatcher:
        hub = await MuxHub.acquire(self.usbmux_address)
        self._sub = hub.subscribe_all()
        return self

    async def close(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            await sub.close()

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
        if self._sub is None:
            raise StopAsyncIteration
        item = await self._sub.queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def next_event(self, timeout_s: float) -> MuxEvent | None:
        """The next event, or None if none came within ``timeout_s`` (or the watcher is closed)."""
        return None if self._sub is None else await self._sub.next_event(timeout_s)
