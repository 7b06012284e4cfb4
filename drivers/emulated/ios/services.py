"""The services behind StartService: mobilebackup2 and MCInstall (erase, verification), and the
notification proxies (notification_proxy.py)."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from drivers.emulated.ios.device import EmulatedIphone
from drivers.emulated.ios.notification_proxy import (
    INSECURE_NOTIFICATION_PROXY,
    NOTIFICATION_PROXY,
    serve_notification_proxy,
)
from drivers.emulated.ios.pki import server_context
from drivers.emulated.ios.profile import Fault
from drivers.emulated.ios.wire import FrameError, plist_frame, read_plist_frame

MOBILEBACKUP2 = "com.apple.mobilebackup2"
MCINSTALL = "com.apple.mobile.MCInstall"
DEVICE_LINK_VERSION = 300
BACKUP_PROTOCOL_VERSIONS = (2.0, 2.1)
# MCInstall's error for a request only supervised devices accept.
MC_ERROR_NOT_SUPERVISED = 12067


async def serve_service(
    phone: EmulatedIphone,
    service: str,
    host_id: str | None,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    if service == INSECURE_NOTIFICATION_PROXY:
        await serve_notification_proxy(phone, service, reader, writer)  # plain: no pairing
        return
    record = phone.pairings.get(host_id) if host_id is not None else None
    if record is None:
        return
    try:
        await writer.start_tls(server_context(record, phone.key))
        if service == MOBILEBACKUP2:
            await _mobilebackup2(phone, reader, writer)
        elif service == MCINSTALL:
            await _mcinstall(phone, reader, writer)
        elif service == NOTIFICATION_PROXY:
            await serve_notification_proxy(phone, service, reader, writer)
    except (asyncio.IncompleteReadError, ConnectionError, FrameError, ssl.SSLError):
        return


async def _send(writer: asyncio.StreamWriter, payload: Any) -> None:
    writer.write(plist_frame(payload))
    await writer.drain()


async def _mobilebackup2(
    phone: EmulatedIphone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """DeviceLink: version exchange, DeviceReady, mobilebackup2 Hello, then process messages."""
    channel = MOBILEBACKUP2
    await _send(writer, ["DLMessageVersionExchange", DEVICE_LINK_VERSION, 0])
    answer = await read_plist_frame(reader)
    phone.record(channel, _dl_name(answer))
    if answer != ["DLMessageVersionExchange", "DLVersionsOk", DEVICE_LINK_VERSION]:
        return
    await _send(writer, ["DLMessageDeviceReady"])
    while True:
        message = await read_plist_frame(reader)
        name = _dl_name(message)
        if name != "DLMessageProcessMessage":
            phone.record(channel, name)
        if name == "DLMessageDisconnect":
            return
        if name != "DLMessageProcessMessage" or not isinstance(message[1], dict):
            await _send(
                writer,
                [
                    "DLMessageProcessMessage",
                    {"ErrorCode": 1, "ErrorDescription": "Unsupported message"},
                ],
            )
            continue
        body: dict[str, Any] = message[1]
        inner = str(body.get("MessageName", ""))
        phone.record(channel, f"DLMessageProcessMessage/{inner}")
        if inner == "Hello":
            if phone.pulled_before_erase():
                return
            if phone.profile.fault is Fault.UNPLUGGED_MID_ERASE:
                # The cable comes out while the host is setting up the erase exchange.
                phone.start_erase()
                return
            offered = body.get("SupportedProtocolVersions") or []
            common = [v for v in BACKUP_PROTOCOL_VERSIONS if v in offered]
            if not common:
                await _send(writer, ["DLMessageProcessMessage", {"ErrorCode": 1}])
                return
            reply = {"ErrorCode": 0, "ProtocolVersion": max(common)}
            await _send(writer, ["DLMessageProcessMessage", reply])
        elif inner == "EraseDevice":
            if body.get("TargetIdentifier") != phone.udid:
                await _send(
                    writer,
                    [
                        "DLMessageProcessMessage",
                        {"ErrorCode": 22, "ErrorDescription": "TargetIdentifier does not match"},
                    ],
                )
                continue
            # A real phone gives no answer: it reboots into the erase and the link drops.
            phone.start_erase()
            return
        else:
            await _send(
                writer,
                [
                    "DLMessageProcessMessage",
                    {"ErrorCode": 1, "ErrorDescription": f"Unsupported message {inner}"},
                ],
            )


def _dl_name(message: Any) -> str:
    if isinstance(message, list) and message and isinstance(message[0], str):
        return message[0]
    return "<malformed>"


async def _mcinstall(
    phone: EmulatedIphone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    channel = MCINSTALL
    while True:
        request = await read_plist_frame(reader)
        if not isinstance(request, dict):
            return
        kind = str(request.get("RequestType", ""))
        phone.record(channel, kind)
        ok: dict[str, Any] = {"Status": "Acknowledged"}
        if kind in ("HelloHostIdentifier", "Flush"):
            await _send(writer, ok)
        elif kind == "GetCloudConfiguration":
            await _send(writer, {**ok, "CloudConfiguration": phone.cloud_configuration()})
        elif kind == "GetProfileList":
            await _send(writer, {**ok, **phone.profile_list()})
        elif kind == "EraseDevice":
            if not phone.state.supervised:
                await _send(
                    writer,
                    _mc_error(
                        MC_ERROR_NOT_SUPERVISED, "This request requires a supervised device."
                    ),
                )
                continue
            if phone.profile.fault is Fault.UNPLUGGED_MID_ERASE:
                phone.start_erase()  # pulled before the phone could acknowledge
                return
            if phone.pulled_before_erase():
                return
            await _send(writer, ok)
            phone.start_erase()
            return
        else:
            await _send(writer, _mc_error(12000, f"Unsupported request {kind}"))


def _mc_error(code: int, text: str) -> dict[str, Any]:
    return {
        "Status": "Error",
        "ErrorChain": [
            {
                "ErrorCode": code,
                "ErrorDomain": "MCInstallationErrorDomain",
                "LocalizedDescription": text,
            }
        ],
    }
