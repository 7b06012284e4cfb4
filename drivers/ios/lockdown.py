"""pymobiledevice3's lockdown client, fenced in by the allow-list and the station's records."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pymobiledevice3.exceptions import (
    ConnectionFailedToUsbmuxdError,
    ConnectionTerminatedError,
    DeviceNotFoundError,
    MuxException,
    NoDeviceConnectedError,
)
from pymobiledevice3.lockdown import SYSTEM_BUID, UsbmuxLockdownClient
from pymobiledevice3.pair_records import generate_host_id
from pymobiledevice3.service_connection import ServiceConnection
from pymobiledevice3.usbmux import PlistMuxConnection, create_mux

from drivers.ios.allowlist import require_lockdown
from drivers.ios.records import PairRecordStore

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

    async def save_pair_record(self) -> None:
        if self.identifier is None or self.pair_record is None:
            raise ValueError("no pair record to save")
        self.store.save(self.identifier, self.pair_record)


async def open_lockdown(
    udid: str, usbmux_address: str, store: PairRecordStore, *, validate: bool = True
) -> GuardedLockdown:
    """Connect to lockdownd through usbmuxd; with ``validate``, start a session under the
    station's pair record if it has one. Never pairs anew: that is the caller's decision."""
    service = await ServiceConnection.create_using_usbmux(
        udid, LOCKDOWN_PORT, usbmux_address=usbmux_address
    )
    try:
        mux = await create_mux(usbmux_address=usbmux_address)
        try:
            buid = await mux.get_buid() if isinstance(mux, PlistMuxConnection) else None
        finally:
            await mux.close()
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
) -> GuardedLockdown:
    """Reach lockdownd of a phone that just came back from an erase. It may drop off the bus
    and re-attach under a new DeviceID while it boots; connecting by UDID finds it again."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return await open_lockdown(udid, usbmux_address, store, validate=False)
        except ConnectionFailedToUsbmuxdError:
            raise
        except _NOT_YET:
            if time.monotonic() + interval_s > deadline:
                raise
            await asyncio.sleep(interval_s)
