"""The ADB USB function of a lab phone: bulk OUT feeds adbd, adbd's replies queue up for bulk IN.

adbd writes a message's header and payload as separate USB transfers; so does this.
"""

from __future__ import annotations

import asyncio
import queue
import threading

from drivers.emulated.android.protocol import HEADER_SIZE
from drivers.emulated.usb_bus import no_device, timeout

_GONE = b""


class UsbAdbFunction:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.reader = asyncio.StreamReader(loop=loop)
        self._to_host: queue.Queue[bytes] = queue.Queue()
        self._partial = b""
        self._lock = threading.Lock()
        self.connected = True

    # host side (pyusb caller threads) ---------------------------------------------------------
    def host_write(self, endpoint: int, data: bytes, timeout_s: float) -> int:
        if not self.connected:
            raise no_device()
        self._loop.call_soon_threadsafe(self._feed, data)
        return len(data)

    def _feed(self, data: bytes) -> None:
        if not self.reader.at_eof():
            self.reader.feed_data(data)

    def host_read(self, endpoint: int, size: int, timeout_s: float) -> bytes:
        with self._lock:
            if self._partial:
                chunk, self._partial = self._partial[:size], self._partial[size:]
                return chunk
        if not self.connected:
            raise no_device()
        try:
            transfer = self._to_host.get(timeout=timeout_s)
        except queue.Empty:
            raise timeout() from None
        if transfer is _GONE:
            self._to_host.put(_GONE)  # wake any other reader too
            raise no_device()
        with self._lock:
            chunk, self._partial = transfer[:size], transfer[size:]
        return chunk

    # phone side (lab loop) ----------------------------------------------------------------------
    def device_write(self, raw: bytes) -> None:
        if not self.connected:
            return
        self._to_host.put(raw[:HEADER_SIZE])
        if len(raw) > HEADER_SIZE:
            self._to_host.put(raw[HEADER_SIZE:])

    async def read_exactly(self, n: int) -> bytes:
        return await self.reader.readexactly(n)

    def disconnect(self) -> None:
        self.connected = False
        self._to_host.put(_GONE)
        self._loop.call_soon_threadsafe(self.reader.feed_eof)


class PassiveUsbFunction:
    """MTP-only or fastboot: present on the bus, but the station never opens it."""

    def host_write(self, endpoint: int, data: bytes, timeout_s: float) -> int:
        raise no_device()

    def host_read(self, endpoint: int, size: int, timeout_s: float) -> bytes:
        raise timeout()

    def disconnect(self) -> None:
        return None
