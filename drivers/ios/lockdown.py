"""pymobiledevice3's lockdown client, fenced in by the allow-list and the station's records."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from ssl import SSLContext
from typing import TYPE_CHECKING, Any

from pymobiledevice3.exceptions import (
    ConnectionFailedToUsbmuxdError,
    ConnectionTerminatedError,
    DeviceNotFoundError,
    MuxException,
    NoDeviceConnectedError,
    NotPairedError,
)
from pymobiledevice3.lockdown import SYSTEM_BUID, UsbmuxLockdownClient
from pymobiledevice3.pair_records import generate_host_id
from pymobiledevice3.service_connection import ServiceConnection
from pymobiledevice3.usbmux import PlistMuxConnection, create_mux

from drivers.ios.allowlist import require_lockdown
from drivers.ios.records import PairRecordStore

if TYPE_CHECKING:
    from drivers.ios.muxhub import MuxHub

LOCKDOWN_PORT = 62078
LABEL = "wipe-station"


class GuardedLockdown(UsbmuxLockdownClient):
    """Refuses non-allow-listed requests; keeps pair records only in the station's store."""

    store: PairRecordStore

    async def _request(
        self, request: str, options: dict[str, Any] | None = None, verify_request: bool = True
    ) -> dict[str, Any]:
        opts = options or {}
        service = opts.get("Service")
        require_lockdown(
            request,
            opts.get("Domain"),
            opts.get("Key"),
            service if isinstance(service, str) else None,
        )
        return await super()._request(request, options, verify_request)

    async def fetch_pair_record(self) -> None:
        # Only the station's own records: never usbmuxd's or another tool's.
        if self.identifier is not None:
            self.pair_record = self.store.load(self.identifier)

    @contextmanager
    def ssl_file(self) -> Iterator[str]:
        """The host certificate and key for a TLS session, from the station's pairing directory
        (`PairRecordStore.host_pem`) instead of a temporary file per session."""
        if self.pair_record is None:
            raise NotPairedError()
        yield str(
            self.store.host_pem(
                self.pair_record["HostCertificate"], self.pair_record["HostPrivateKey"]
            )
        )

    async def save_pair_record(self) -> None:
        if self.identifier is None or self.pair_record is None:
            raise ValueError("no pair record to save")
        self.store.save(self.identifier, self.pair_record)

    async def create_service_connection(
        self, port: int, ssl_context: SSLContext | None = None, strip_ssl: bool = False
    ) -> ServiceConnection:
        """A service on the phone this lockdown connection is open to, by its usbmuxd
        DeviceID: pymobiledevice3 lists every attached phone first, O(phones) per service.
        An id gone stale (the phone re-attached) falls back to that listing."""
        device = self.service.mux_device
        if device is not None:
            try:
                sock = await device.connect(port, usbmux_address=self.usbmux_address)
            except MuxException:
                pass
            else:
                return await ServiceConnection.from_socket(
                    sock, ssl_context=ssl_context, strip_ssl=strip_ssl, mux_device=device
                )
        return await super().create_service_connection(port, ssl_context, strip_ssl)


# usbmuxd's SystemBUID per address, read once: the daemon keeps it in its configuration
# (SystemConfiguration.plist) for its whole life, and asking costs a connection per lockdown.
_buids: dict[str, str] = {}


async def _system_buid(usbmux_address: str) -> str | None:
    cached = _buids.get(usbmux_address)
    if cached is not None:
        return cached
    mux = await create_mux(usbmux_address=usbmux_address)
    try:
        buid = await mux.get_buid() if isinstance(mux, PlistMuxConnection) else None
    finally:
        await mux.close()
    if buid:
        _buids[usbmux_address] = buid
    return buid


async def _connect(
    udid: str, port: int, usbmux_address: str, hub: MuxHub | None
) -> ServiceConnection:
    """Straight to the DeviceID ``hub`` knows for ``udid``; else (or if that id went stale)
    by listing the bus, as pymobiledevice3 does."""
    device = hub.device(udid) if hub is not None else None
    if device is not None:
        try:
            sock = await device.connect(port, usbmux_address=usbmux_address)
        except MuxException:
            pass
        else:
            return await ServiceConnection.from_socket(sock, mux_device=device)
    return await ServiceConnection.create_using_usbmux(udid, port, usbmux_address=usbmux_address)


async def open_lockdown(
    udid: str,
    usbmux_address: str,
    store: PairRecordStore,
    *,
    validate: bool = True,
    hub: MuxHub | None = None,
) -> GuardedLockdown:
    """Connect to lockdownd through usbmuxd; with ``validate``, start a session under the
    station's pair record if it has one. Never pairs anew: that is the caller's decision.
    ``hub``: the station's shared usbmuxd listener, to find the phone without listing the bus."""
    service = await _connect(udid, LOCKDOWN_PORT, usbmux_address, hub)
    try:
        buid = await _system_buid(usbmux_address)
        client = GuardedLockdown(
            service,
            host_id=generate_host_id(),
            identifier=udid,
            label=LABEL,
            pair_record=store.load(udid),
            pairing_records_cache_folder=Path(store.directory),
            usbmux_address=usbmux_address,
            system_buid=buid or SYSTEM_BUID,
        )
        client.store = store
        await client._initialize()
        if validate:
            await client.validate_pairing()
    except BaseException:
        await service.close()
        raise
    return client


# What a phone that is still booting or re-enumerating gives: the same errors pymobiledevice3's
# own retry_create_using_usbmux waits out (lockdown.py), minus a missing usbmuxd.
_NOT_YET = (
    MuxException,
    NoDeviceConnectedError,
    DeviceNotFoundError,
    ConnectionTerminatedError,
    asyncio.IncompleteReadError,
    OSError,
)


async def open_lockdown_retrying(
    udid: str,
    usbmux_address: str,
    store: PairRecordStore,
    *,
    timeout_s: float,
    interval_s: float = 0.5,
    hub: MuxHub | None = None,
) -> GuardedLockdown:
    """Reach lockdownd of a phone that just came back from an erase. It may drop off the bus
    and re-attach under a new DeviceID while it boots; connecting by UDID finds it again."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return await open_lockdown(udid, usbmux_address, store, validate=False, hub=hub)
        except ConnectionFailedToUsbmuxdError:
            raise
        except _NOT_YET:
            if time.monotonic() + interval_s > deadline:
                raise
            await asyncio.sleep(interval_s)
