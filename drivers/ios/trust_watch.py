"""Hearing the Trust tap the moment it happens, as usbmuxd does.

libimobiledevice's usbmuxd (`src/preflight.c`, iOS 7 and later), once Pair answers that the dialog
is up, starts `com.apple.mobile.insecure_notification_proxy` on the same unpaired lockdown
connection, observes `com.apple.mobile.lockdown.request_pair`, and pairs again as soon as the phone
relays it. The wire messages are libimobiledevice's `src/notification_proxy.c`: the host sends
`{"Command": "ObserveNotification", "Name": …}`, the phone answers each posting with
`{"Command": "RelayNotification", "Name": …}`, and `ProxyDeath` when the proxy ends.

The watch is only ever a hint to ask again sooner: a phone that refuses the service, answers
oddly, or drops the connection leaves the caller asking Pair once a second as before.
"""

from __future__ import annotations

import asyncio
import contextlib

from pymobiledevice3.service_connection import ServiceConnection

from drivers.ios.allowlist import (
    INSECURE_NOTIFICATION_PROXY,
    REQUEST_PAIR,
    RequestNotAllowed,
    require_service_message,
)
from drivers.ios.lockdown import GuardedLockdown


class TrustWatch:
    """An open insecure notification proxy observing `request_pair`; close it when done."""

    def __init__(self, connection: ServiceConnection) -> None:
        self._connection = connection
        self._woken = asyncio.Event()
        self.relays = 0  # request_pair relays heard
        self.ended = False  # the proxy connection is gone: waiting falls back to sleeping
        self._reader = asyncio.create_task(self._read(), name="trust-watch")

    @classmethod
    async def open(cls, client: GuardedLockdown) -> TrustWatch | None:
        """Start the proxy through ``client`` (allow-list checked) and observe `request_pair`;
        None if the phone will not have it, for whatever reason."""
        require_service_message(INSECURE_NOTIFICATION_PROXY, f"ObserveNotification/{REQUEST_PAIR}")
        # pymobiledevice3's own start_lockdown_service refuses before pairing (NotPairedError),
        # which is the whole point here, so the request goes through the guarded client directly.
        try:
            answer = await client._request("StartService", {"Service": INSECURE_NOTIFICATION_PROXY})
        except RequestNotAllowed:
            raise
        except Exception:  # refused, older iOS, or the link went: ask as before
            return None
        port = answer.get("Port")
        # TLS on a service needs the pairing the station does not have yet.
        if not isinstance(port, int) or answer.get("EnableServiceSSL"):
            return None
        try:
            connection = await client.create_service_connection(port)
        except Exception:
            return None
        try:
            # pymobiledevice3's NotificationProxyService.notify_register_dispatch sends the same
            # plist; its connect() would ask for a paired lockdown first.
            await connection.send_plist({"Command": "ObserveNotification", "Name": REQUEST_PAIR})
        except BaseException as exc:
            await connection.close()
            if not isinstance(exc, Exception):
                raise
            return None
        return cls(connection)

    async def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True as soon as the phone relays `request_pair` (or the proxy
        ends, which may mean the phone left: the caller's next Pair finds out at once)."""
        if not self._woken.is_set() and not self.ended:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(seconds, 0.0)):
                    await self._woken.wait()
        elif not self._woken.is_set():
            await asyncio.sleep(max(seconds, 0.0))
        woken = self._woken.is_set()
        self._woken.clear()
        return woken

    async def _read(self) -> None:
        try:
            while True:
                message = await self._connection.recv_plist()
                command = message.get("Command")
                if command == "RelayNotification" and message.get("Name") == REQUEST_PAIR:
                    self.relays += 1
                    self._woken.set()
                elif command == "ProxyDeath":
                    return
        except Exception:  # EOF, a garbled frame: either way the hint is gone
            pass
        finally:
            self.ended = True
            self._woken.set()

    async def close(self) -> None:
        self._reader.cancel()
        # Closed even if this task is being cancelled: a proxy left open holds a usbmuxd
        # connection and a port on the phone for as long as the station runs.
        try:
            await asyncio.wait([self._reader])
        finally:
            await self._connection.close()
