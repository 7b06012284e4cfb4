"""Does the erased phone still accept the station's pre-erase pairing?

An erased iPhone has forgotten every host. Real phones say so in more than one way: lockdown
answers StartSession with ``InvalidHostID``; or it agrees to a session and then refuses the TLS
handshake, or closes the link during it (libimobiledevice #1395, idevicerestore #377: "SSL error
-5" with an old pair record on a restored phone; pymobiledevice3 lockdown.py validate_pairing:
SSLZeroReturnError / ConnectionTerminatedError "when we have a pair record, but it was removed
on-device"). Each of these is "old pairing rejected". Only a session that completes its TLS
handshake under the old record means the phone was not erased.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from pymobiledevice3.exceptions import (
    ConnectionTerminatedError,
    InvalidConnectionError,
    InvalidHostIDError,
    LockdownError,
    PairingDialogResponsePendingError,
)
from pymobiledevice3.service_connection import create_ssl_context

from drivers.contract import DeviceGone
from drivers.ios.allowlist import require_lockdown
from drivers.ios.discovery import list_iphones
from drivers.ios.errors import translated
from drivers.ios.lockdown import GuardedLockdown, open_lockdown_retrying
from drivers.ios.muxhub import MuxHub
from drivers.ios.records import PairRecordStore

# lockdown errors that mean "I do not know this host" (pymobiledevice3 exception names).
FORGOTTEN_ANSWERS = frozenset({"InvalidHostID", "InvalidPairRecord", "InvalidConnection"})
# What a refused or abandoned TLS handshake raises in the client.
_TLS_REFUSED = (
    ssl.SSLError,  # includes SSLZeroReturnError, SSLEOFError, alerts
    ConnectionTerminatedError,
    ConnectionError,
    asyncio.IncompleteReadError,
    EOFError,
)


async def old_pairing_rejected(
    udid: str,
    usbmux_address: str,
    store: PairRecordStore,
    old_record: dict[str, Any],
    reconnect_s: float,
    *,
    hub: MuxHub | None = None,
) -> tuple[bool, str]:
    """(rejected, the phone's answer in words). Uses its own connection: a refused handshake
    leaves that link unusable, and the caller's session must not depend on it."""
    with translated("testing the old pairing"):
        probe = await open_lockdown_retrying(
            udid, usbmux_address, store, timeout_s=reconnect_s, hub=hub
        )
    try:
        with translated("testing the old pairing"):
            return await _probe(probe, udid, usbmux_address, old_record)
    finally:
        await probe.close()


async def _probe(
    probe: GuardedLockdown, udid: str, usbmux_address: str, old_record: dict[str, Any]
) -> tuple[bool, str]:
    probe.pair_record = old_record
    host_id = str(old_record.get("HostID"))
    buid = old_record.get("SystemBUID", probe.system_buid)
    try:
        answer = await probe._request("StartSession", {"HostID": host_id, "SystemBUID": buid})
    except (InvalidHostIDError, InvalidConnectionError, PairingDialogResponsePendingError) as exc:
        return True, _error_name(exc)
    except LockdownError as exc:
        if exc.error in FORGOTTEN_ANSWERS:
            return True, str(exc.error)
        raise
    if not answer.get("EnableSessionSSL"):
        return False, "session started without TLS"
    try:
        with probe.ssl_file() as pem:
            context = create_ssl_context(
                pem, minimum_version=ssl.TLSVersion.TLSv1_2, maximum_version=ssl.TLSVersion.TLSv1_3
            )
            await probe.service.start_tls(context)
        # Under TLS 1.3 the client finishes its side before the phone has checked the host
        # certificate; the refusal arrives with the first record. One allow-listed read inside
        # the session settles it (sent raw: the client's own retry would reconnect unencrypted).
        require_lockdown("GetValue", None, "ProductVersion")
        reply = await probe.service.send_recv_plist(
            {"Label": probe.label, "Request": "GetValue", "Key": "ProductVersion"}
        )
        if not isinstance(reply, dict) or "Value" not in reply:
            error = reply.get("Error") if isinstance(reply, dict) else reply
            return True, f"session accepted, then refused ({error})"
    except _TLS_REFUSED as exc:
        if udid not in await list_iphones(usbmux_address):
            raise DeviceGone("The phone disconnected while testing the old pairing") from exc
        return True, f"session accepted, TLS handshake refused ({type(exc).__name__})"
    return False, "session started under the old pairing and answered inside TLS"


def _error_name(exc: Exception) -> str:
    error = getattr(exc, "error", None)
    if isinstance(error, str) and error:
        return error
    return {
        InvalidHostIDError: "InvalidHostID",
        InvalidConnectionError: "InvalidConnection",
        PairingDialogResponsePendingError: "PairingDialogResponsePending",
    }.get(type(exc), type(exc).__name__)
