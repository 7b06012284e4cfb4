"""The notification proxies: a host observes Darwin notifications, the phone relays them.

Wire messages as libimobiledevice's `src/notification_proxy.c` sends and reads them: the host
sends `{"Command": "ObserveNotification", "Name": …}`, `PostNotification` and `Shutdown`; the
phone sends `{"Command": "RelayNotification", "Name": …}` for each observed posting and
`{"Command": "ProxyDeath"}` once it shuts the proxy down. The insecure variant is what usbmuxd
(`src/preflight.c`) starts on an unpaired lockdown connection to hear of the Trust tap.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from drivers.emulated.ios.device import EmulatedIphone
from drivers.emulated.ios.wire import FrameError, plist_frame, read_plist_frame

NOTIFICATION_PROXY = "com.apple.mobile.notification_proxy"
INSECURE_NOTIFICATION_PROXY = "com.apple.mobile.insecure_notification_proxy"
# Commands whose Name is part of what the lab records, so a test can tell which were observed.
_NAMED = ("ObserveNotification", "PostNotification")


async def serve_notification_proxy(
    phone: EmulatedIphone,
    service: str,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """One host's proxy connection (already TLS for the secure one) until it closes."""
    observed: set[str] = set()
    phone.observe(writer, observed)
    try:
        while True:
            message: Any = await read_plist_frame(reader)
            if not isinstance(message, dict):
                return
            command = str(message.get("Command", ""))
            name = message.get("Name")
            named = isinstance(name, str) and command in _NAMED
            phone.record(service, f"{command}/{name}" if named else command)
            if command == "ObserveNotification" and isinstance(name, str):
                observed.add(name)
            elif command == "PostNotification" and isinstance(name, str):
                # An untrusted host may listen but not make the phone post (no source:
                # assumption; the station never posts).
                if service == NOTIFICATION_PROXY:
                    phone.post_notification(name)
            elif command == "Shutdown":
                writer.write(plist_frame({"Command": "ProxyDeath"}))
                await writer.drain()
                return
    except (asyncio.IncompleteReadError, ConnectionError, FrameError, ssl.SSLError):
        return
    finally:
        phone.unobserve(writer)
