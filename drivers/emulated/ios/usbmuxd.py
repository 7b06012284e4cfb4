"""An emulated usbmuxd on a unix socket, speaking the plist protocol (version 1, type 8)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import plistlib
import socket
from typing import Any

from drivers.emulated.ios.device import EmulatedIphone
from drivers.emulated.ios.lockdownd import LOCKDOWN_PORT, LockdownSession
from drivers.emulated.ios.services import serve_service
from drivers.emulated.ios.wire import (
    USBMUX_TYPE_PLIST,
    USBMUX_VERSION_PLIST,
    FrameError,
    read_usbmux_packet,
    usbmux_plist_packet,
)

RESULT_OK = 0
RESULT_BADCOMMAND = 1
RESULT_BADDEV = 2
RESULT_CONNREFUSED = 3
RESULT_BADVERSION = 6
APPLE_PRODUCT_ID = 0x12A8  # iPhone 5 and later in normal (usbmux) mode


class EmulatedUsbmuxd:
    """Device list, Listen events, Connect to device ports, and the pair-record store."""

    def __init__(self, socket_path: str, buid: str) -> None:
        self.socket_path = socket_path
        self.buid = buid
        self.devices: dict[int, EmulatedIphone] = {}
        self.pair_records: dict[str, bytes] = {}
        self._next_id = 1
        self._listeners: set[asyncio.StreamWriter] = set()
        self._clients: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            # Only a stale socket file is removed: a live usbmuxd would still accept connections.
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(self.socket_path)
            except ConnectionRefusedError:
                os.unlink(self.socket_path)
            else:
                raise OSError(f"a usbmuxd already listens on {self.socket_path}")
            finally:
                probe.close()
        self._server = await asyncio.start_unix_server(self._client, path=self.socket_path)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):
                writer.transport.abort()
            for phone in list(self.devices.values()):
                phone.drop_links()
            # Let every connection handler see its closed socket and finish: a handler still
            # pending when the loop closes would be cancelled and logged as an error.
            if self._handlers:
                await asyncio.wait(set(self._handlers), timeout=2.0)
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)

    # --- bus events -----------------------------------------------------------------------
    def attach(self, phone: EmulatedIphone) -> int:
        device_id = self._next_id
        self._next_id += 1
        self.devices[device_id] = phone
        self._broadcast(self._attached(device_id, phone))
        return device_id

    def detach(self, phone: EmulatedIphone) -> None:
        for device_id, known in list(self.devices.items()):
            if known is phone:
                del self.devices[device_id]
                self._broadcast({"MessageType": "Detached", "DeviceID": device_id})
        phone.drop_links()

    def device_id_of(self, phone: EmulatedIphone) -> int | None:
        for device_id, known in self.devices.items():
            if known is phone:
                return device_id
        return None

    def _broadcast(self, message: dict[str, Any]) -> None:
        packet = usbmux_plist_packet(0, message)
        for writer in list(self._listeners):
            if writer.is_closing():
                self._listeners.discard(writer)
            else:
                writer.write(packet)

    def _attached(self, device_id: int, phone: EmulatedIphone) -> dict[str, Any]:
        return {
            "MessageType": "Attached",
            "DeviceID": device_id,
            "Properties": {
                "ConnectionSpeed": 480000000,
                "ConnectionType": "USB",
                "DeviceID": device_id,
                "LocationID": 0x01100000 + device_id,
                "ProductID": APPLE_PRODUCT_ID,
                "SerialNumber": phone.udid,
                "USBSerialNumber": phone.udid.replace("-", ""),
            },
        }

    # --- one client connection ------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            phone_port = await self._requests(reader, writer)
            if phone_port is not None:
                self._clients.discard(writer)
                await self._pipe(phone_port[0], phone_port[1], reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, FrameError):
            pass
        finally:
            self._clients.discard(writer)
            self._listeners.discard(writer)
            writer.close()
            if task is not None:
                self._handlers.discard(task)

    async def _requests(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[EmulatedIphone, int] | None:
        """Answer usbmux requests until the connection ends or becomes a pipe to a device."""
        while True:
            version, message_type, tag, body = await read_usbmux_packet(reader)
            if version != USBMUX_VERSION_PLIST or message_type != USBMUX_TYPE_PLIST:
                writer.write(usbmux_plist_packet(tag, _result(RESULT_BADVERSION)))
                continue
            try:
                request = plistlib.loads(body)
            except Exception:  # a client that cannot form a plist gets BADCOMMAND, like usbmuxd
                writer.write(usbmux_plist_packet(tag, _result(RESULT_BADCOMMAND)))
                continue
            kind = request.get("MessageType") if isinstance(request, dict) else None
            if kind == "Connect":
                target = self._connect_target(request)
                if isinstance(target, int):
                    writer.write(usbmux_plist_packet(tag, _result(target)))
                    continue
                writer.write(usbmux_plist_packet(tag, _result(RESULT_OK)))
                await writer.drain()
                return target
            reply = self._answer(kind, request, writer)
            writer.write(usbmux_plist_packet(tag, reply))
            if kind == "Listen":
                self._listeners.add(writer)
                for device_id, phone in self.devices.items():
                    writer.write(usbmux_plist_packet(0, self._attached(device_id, phone)))
            await writer.drain()

    def _answer(self, kind: object, request: dict[str, Any], writer: Any) -> dict[str, Any]:
        if kind == "ListDevices":
            listing = [self._attached(i, p) for i, p in self.devices.items()]
            return {"DeviceList": listing}
        if kind == "Listen":
            return _result(RESULT_OK)
        if kind == "ReadBUID":
            return {"BUID": self.buid}
        if kind == "ReadPairRecord":
            data = self.pair_records.get(str(request.get("PairRecordID")))
            return {"PairRecordData": data} if data is not None else _result(RESULT_BADDEV)
        if kind == "SavePairRecord":
            data = request.get("PairRecordData")
            if not isinstance(data, bytes):
                return _result(RESULT_BADCOMMAND)
            self.pair_records[str(request.get("PairRecordID"))] = data
            return _result(RESULT_OK)
        if kind == "DeletePairRecord":
            found = self.pair_records.pop(str(request.get("PairRecordID")), None)
            return _result(RESULT_OK if found is not None else RESULT_BADDEV)
        return _result(RESULT_BADCOMMAND)

    def _connect_target(self, request: dict[str, Any]) -> tuple[EmulatedIphone, int] | int:
        phone = self.devices.get(int(request.get("DeviceID", -1)))
        if phone is None:
            return RESULT_BADDEV
        raw = int(request.get("PortNumber", 0))
        # Clients send the port in network byte order inside the (little-endian) plist integer.
        port = ((raw & 0xFF) << 8) | ((raw >> 8) & 0xFF)
        if port != LOCKDOWN_PORT and not phone.has_service_port(port):
            return RESULT_CONNREFUSED
        return (phone, port)

    async def _pipe(
        self,
        phone: EmulatedIphone,
        port: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        phone.track(writer)
        try:
            if port == LOCKDOWN_PORT:
                await LockdownSession(phone, reader, writer).serve()
                return
            claimed = phone.claim_service_port(port)
            if claimed is not None:
                await serve_service(phone, claimed[0], claimed[1], reader, writer)
        finally:
            phone.untrack(writer)


def _result(number: int) -> dict[str, Any]:
    return {"MessageType": "Result", "Number": number}
