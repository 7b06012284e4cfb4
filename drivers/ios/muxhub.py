"""One usbmuxd Listen connection shared by every iPhone the station drives.

Each phone used to open its own: a watcher from the erase until the phone came back (so every
watcher parsed every other phone's Attached/Detached messages), and a ListDevices of the whole
bus before each connection (pymobiledevice3's `create_using_usbmux` → `select_device`). With 32
iPhones that is O(phones²) plist parsing, the largest share of the station's CPU per iPhone
(py-spy, issue 19). libimobiledevice's clients keep one event subscription per process the
same way (libusbmuxd's `usbmuxd_events_subscribe`, one listener thread for all callbacks).

The hub lives while someone uses it (`MuxHub.acquire` / `release`): a driver holds it from its
first connection to its `close()`. It knows the attached devices from the Listen stream, so a
connection goes straight to the phone's usbmuxd DeviceID; when the hub does not know a phone
(yet), or the id turned stale, callers fall back to listing the bus as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pymobiledevice3.usbmux import MuxConnection, MuxDevice, create_mux

from drivers.ios.errors import translated

_hubs: dict[str, MuxHub] = {}
EVERY_PHONE = "*"  # a subscription to every phone's events (no UDID looks like this)


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


@dataclass(eq=False)
class Subscription:
    """The events of one phone (by UDID, or of every phone: `EVERY_PHONE`) from the moment of
    subscribing: MuxEvent items, or the exception that ended the hub's connection."""

    hub: MuxHub
    udid: str
    queue: asyncio.Queue[MuxEvent | BaseException] = field(default_factory=asyncio.Queue)

    async def next_event(self, timeout_s: float) -> MuxEvent | None:
        """The next event, or None if none came within ``timeout_s``."""
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
        # arrives as the event does (it returns the event), and a stopping station's job
        # would go on waiting for the phone. Cancelled here, the event stays in the queue.
        try:
            async with asyncio.timeout(max(timeout_s, 0)):
                item = await self.queue.get()
        except TimeoutError:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    async def close(self) -> None:
        self.hub.unsubscribe(self)
        await self.hub.release()


class MuxHub:
    def __init__(self, usbmux_address: str) -> None:
        self.usbmux_address = usbmux_address
        self.loop = asyncio.get_running_loop()
        self._users = 0
        self._mux: MuxConnection | None = None
        self._pump: asyncio.Task[None] | None = None
        self._devices: dict[int, MuxDevice] = {}
        self._locations: dict[int, int] = {}  # DeviceID -> LocationID (usb_port.py)
        self._subscribers: dict[str, list[Subscription]] = {}
        self._failed: BaseException | None = None
        self._starting: asyncio.Future[None] | None = None

    # --- life -------------------------------------------------------------------------------
    @classmethod
    async def acquire(cls, usbmux_address: str) -> MuxHub:
        """The running hub for this address (started if needed), counted as one more user."""
        loop = asyncio.get_running_loop()
        hub = _hubs.get(usbmux_address)
        if hub is None or hub.loop is not loop or hub._failed is not None:
            hub = cls(usbmux_address)
            _hubs[usbmux_address] = hub
        hub._users += 1
        try:
            await hub._start()
        except BaseException:
            await hub.release()
            raise
        return hub

    async def _start(self) -> None:
        if self._starting is None:
            self._starting = self.loop.create_future()
            try:
                with translated("subscribing to usbmuxd events"):
                    self._mux = await create_mux(usbmux_address=self.usbmux_address)
                    self._note_locations(self._mux)
                    await self._mux.listen()
            except BaseException as exc:
                self._fail(exc)
                self._starting.set_exception(exc)
                self._starting.exception()  # retrieved: the callers below re-raise it
                raise
            # One reader owns the socket, so a caller's timeout never cuts a message in half.
            self._pump = asyncio.create_task(self._read(self._mux), name="usbmux-hub")
            self._starting.set_result(None)
        else:
            # Listening once the first user's Listen was answered: later subscribers miss no
            # event that happens after they subscribed.
            await asyncio.shield(self._starting)

    async def release(self) -> None:
        self._users -= 1
        if self._users > 0:
            return
        if _hubs.get(self.usbmux_address) is self:
            del _hubs[self.usbmux_address]
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        mux, self._mux = self._mux, None
        if mux is not None:
            await mux.close()

    def _note_locations(self, mux: MuxConnection) -> None:
        """Keep each Attached message's LocationID: pymobiledevice3's MuxDevice drops it. The
        plist connection hands every device message to ``_process_device_state``; a client
        without it (the binary protocol) simply reports no port."""
        process = getattr(mux, "_process_device_state", None)
        if process is None:
            return

        def noting(response: dict[str, Any]) -> None:
            props = response.get("Properties") if isinstance(response, dict) else None
            if isinstance(props, dict) and isinstance(props.get("LocationID"), int):
                self._locations[int(response["DeviceID"])] = int(props["LocationID"])
            process(response)

        mux._process_device_state = noting  # type: ignore[attr-defined]

    # --- what it knows ----------------------------------------------------------------------
    def location(self, udid: str) -> int | None:
        """usbmuxd's LocationID of the USB device it last announced under ``udid``."""
        device = self.device(udid)
        return self._locations.get(device.devid) if device is not None else None

    def device(self, udid: str) -> MuxDevice | None:
        """The USB device usbmuxd last announced under ``udid``, or None if none is known."""
        found = None
        for device in self._devices.values():
            if device.matches_udid(udid):
                found = device
                if device.is_usb:
                    return device
        return found

    def subscribe(self, udid: str) -> Subscription:
        """Events of ``udid`` from now on; close the subscription when done. The caller holds
        one `acquire` for it, which `Subscription.close` releases."""
        sub = Subscription(self, udid)
        if self._failed is not None:
            sub.queue.put_nowait(self._failed)
        self._subscribers.setdefault(udid, []).append(sub)
        return sub

    def subscribe_all(self) -> Subscription:
        """Every phone's events from now on, after an ATTACHED for each phone the hub knows, as
        a new Listen connection would begin; held and closed as `subscribe`'s."""
        sub = self.subscribe(EVERY_PHONE)
        for event in changes({}, list(self._devices.values()))[0]:
            sub.queue.put_nowait(event)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subscribers.get(sub.udid, [])
        if sub in subs:
            subs.remove(sub)
        if not subs:
            self._subscribers.pop(sub.udid, None)

    # --- the reader -------------------------------------------------------------------------
    async def _read(self, mux: MuxConnection) -> None:
        try:
            while True:
                with translated("waiting for usbmuxd events"):
                    await mux.receive_device_state_update()
                for event in self._diff(mux.devices):
                    for sub in (
                        *self._subscribers.get(event.udid, ()),
                        *self._subscribers.get(EVERY_PHONE, ()),
                    ):
                        sub.queue.put_nowait(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # handed to the subscribers, who decide what it means
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self._failed = exc
        self._devices = {}  # nothing it knew can be trusted now: callers list the bus again
        if _hubs.get(self.usbmux_address) is self:
            del _hubs[self.usbmux_address]
        for subs in self._subscribers.values():
            for sub in subs:
                sub.queue.put_nowait(exc)

    def _diff(self, devices: list[MuxDevice]) -> list[MuxEvent]:
        events, self._devices = changes(self._devices, devices)
        return events
