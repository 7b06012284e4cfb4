"""lockdownd on port 62078: values, pairing, TLS sessions, starting services."""

from __future__ import annotations

import asyncio
import ssl
import uuid
from typing import Any

from drivers.emulated.ios.device import EmulatedIphone
from drivers.emulated.ios.notification_proxy import (
    INSECURE_NOTIFICATION_PROXY,
    NOTIFICATION_PROXY,
)
from drivers.emulated.ios.pki import (
    PairRecordRejected,
    check_pair_record,
    refusing_context,
    server_context,
)
from drivers.emulated.ios.profile import Fault, StalePairing
from drivers.emulated.ios.wire import FrameError, plist_frame, raw_frame, read_plist_frame

LOCKDOWN_PORT = 62078
# Services started inside a session, over TLS under that session's pairing.
SERVICES = ("com.apple.mobilebackup2", "com.apple.mobile.MCInstall", NOTIFICATION_PROXY)
# What a corrupt reply looks like on the wire: a plist cut off mid-element.
GARBLED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>Val\x00\xff'
)


class LockdownSession:
    """One host connection to lockdownd; a session (and TLS) starts on StartSession."""

    def __init__(
        self, phone: EmulatedIphone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.phone = phone
        self.reader = reader
        self.writer = writer
        self.session_host: str | None = None

    async def serve(self) -> None:
        while True:
            try:
                message = await read_plist_frame(self.reader)
            except (asyncio.IncompleteReadError, ConnectionError, FrameError, ssl.SSLError):
                return
            if not isinstance(message, dict):
                return
            reply, after = self.handle(message)
            if reply is None:
                return
            self.writer.write(reply)
            await self.writer.drain()
            if after is not None:
                try:
                    await after()
                except (ssl.SSLError, ConnectionError):
                    # A host without this pairing's certificate does not get a session.
                    self.writer.transport.abort()
                    return

    def handle(self, msg: dict[str, Any]) -> tuple[bytes | None, Any]:
        request = str(msg.get("Request", ""))
        domain = msg.get("Domain")
        key = msg.get("Key")
        self.phone.record(
            "lockdown",
            request,
            domain=domain if isinstance(domain, str) else None,
            key=key if isinstance(key, str) else None,
            service=msg.get("Service") if isinstance(msg.get("Service"), str) else None,
        )
        base: dict[str, Any] = {"Request": request}
        handler = getattr(self, f"_req_{request}", None)
        if handler is None:
            return plist_frame({**base, "Error": "InvalidRequest"}), None
        return handler(msg, base)

    # --- requests -------------------------------------------------------------------------
    def _req_QueryType(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, None]:
        return plist_frame({**base, "Type": "com.apple.mobile.lockdown"}), None

    def _req_GetValue(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, None]:
        domain, key = msg.get("Domain"), msg.get("Key")
        if domain:
            base["Domain"] = domain
        if key:
            base["Key"] = key
        if self.session_host is not None and self.phone.profile.fault is Fault.GARBLED_PLIST:
            return raw_frame(GARBLED), None
        if domain:
            if self.session_host is None:
                return plist_frame({**base, "Error": "GetProhibited"}), None
            values = self.phone.domain_values(domain)
            if values is None:
                return plist_frame({**base, "Error": "MissingValue"}), None
        elif self.session_host is None:
            values = self.phone.unpaired_values()
        else:
            values = self.phone.all_values()
        if key:
            if key not in values:
                error = "MissingValue" if self.session_host else "GetProhibited"
                return plist_frame({**base, "Error": error}), None
            return plist_frame({**base, "Value": values[key]}), None
        return plist_frame({**base, "Value": values}), None

    def _req_Pair(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, None]:
        record = msg.get("PairRecord")
        if not isinstance(record, dict) or not isinstance(record.get("HostID"), str):
            return plist_frame({**base, "Error": "InvalidPairRecord"}), None
        try:
            check_pair_record(record, self.phone.key)
        except PairRecordRejected:
            return plist_frame({**base, "Error": "InvalidPairRecord"}), None
        refusal = self.phone.pairing_answer()
        if refusal is not None:
            return plist_frame({**base, "Error": refusal}), None
        kept = {
            k: record[k]
            for k in (
                "DeviceCertificate",
                "HostCertificate",
                "RootCertificate",
                "HostID",
                "SystemBUID",
            )
            if k in record
        }
        bag = self.phone.paired(record["HostID"], kept)
        return plist_frame({**base, "EscrowBag": bag}), None

    def _req_ValidatePair(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, None]:
        record = msg.get("PairRecord")
        host_id = record.get("HostID") if isinstance(record, dict) else None
        if host_id not in self.phone.pairings:
            return plist_frame({**base, "Error": "InvalidHostID"}), None
        return plist_frame(base), None

    def _req_Unpair(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, None]:
        record = msg.get("PairRecord")
        host_id = record.get("HostID") if isinstance(record, dict) else None
        if host_id not in self.phone.pairings:
            return plist_frame({**base, "Error": "InvalidHostID"}), None
        del self.phone.pairings[host_id]
        return plist_frame(base), None

    def _req_StartSession(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, Any]:
        host_id = msg.get("HostID")
        if self.session_host is not None:
            return plist_frame({**base, "Error": "SessionActive"}), None
        record = self.phone.pairings.get(host_id) if isinstance(host_id, str) else None
        if record is None:
            return self._stale_session(host_id, base)
        session_id = str(uuid.uuid4()).upper()
        context = server_context(record, self.phone.key)

        async def upgrade() -> None:
            await self.writer.start_tls(context)
            self.session_host = host_id

        reply = {**base, "SessionID": session_id, "EnableSessionSSL": True}
        return plist_frame(reply), upgrade

    def _stale_session(self, host_id: object, base: dict[str, Any]) -> tuple[bytes, Any]:
        """A host this phone knew before its erase: InvalidHostID, or a session whose TLS
        handshake fails (libimobiledevice #1395), as the profile says."""
        how = self.phone.profile.stale_pairing
        if host_id not in self.phone.forgotten_hosts or how is StalePairing.INVALID_HOST_ID:
            return plist_frame({**base, "Error": "InvalidHostID"}), None
        reply = {**base, "SessionID": str(uuid.uuid4()).upper(), "EnableSessionSSL": True}
        if how is StalePairing.TLS_CLOSED:

            async def hang_up() -> None:
                await asyncio.sleep(0)  # let the reply go out, then drop the link mid-handshake
                self.writer.transport.abort()

            return plist_frame(reply), hang_up
        context = refusing_context(self.phone.key)

        async def refuse() -> None:
            await self.writer.start_tls(context)  # fails: no known host certificate verifies

        return plist_frame(reply), refuse

    def _req_StopSession(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, None]:
        if self.session_host is None:
            return plist_frame({**base, "Error": "NoRunningSession"}), None
        # The TLS layer stays until the host closes it; a new session needs a new connection.
        return plist_frame({**base, "Result": "Success"}), None

    def _req_StartService(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, None]:
        service = msg.get("Service")
        base["Service"] = service
        if service == INSECURE_NOTIFICATION_PROXY:
            return self._insecure_notification_proxy(base), None
        if self.session_host is None:
            return plist_frame({**base, "Error": "InvalidService"}), None
        if service not in SERVICES:
            return plist_frame({**base, "Error": "InvalidService"}), None
        escrow = msg.get("EscrowBag")
        if self.phone.state.screen_locked and escrow != self.phone.escrow_bags.get(
            self.session_host
        ):
            return plist_frame({**base, "Error": "PasswordProtected"}), None
        port = self.phone.open_service_port(str(service), self.session_host)
        return plist_frame({**base, "Port": port, "EnableServiceSSL": True}), None

    def _insecure_notification_proxy(self, base: dict[str, Any]) -> bytes:
        """Started with or without a session and never over TLS: usbmuxd's preflight.c starts it
        on a connection whose StartSession failed, before any pairing exists, and its client
        (np_client_new) would need a pair record to speak TLS."""
        if not self.phone.profile.insecure_notification_proxy:
            return plist_frame({**base, "Error": "InvalidService"})
        port = self.phone.open_service_port(INSECURE_NOTIFICATION_PROXY, self.session_host)
        return plist_frame({**base, "Port": port, "EnableServiceSSL": False})

    def _req_SetValue(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, None]:
        return plist_frame({**base, "Error": "SetProhibited"}), None

    def _req_RemoveValue(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, None]:
        return plist_frame({**base, "Error": "RemoveProhibited"}), None

    def _req_Goodbye(self, msg: dict[str, Any], base: dict[str, Any]) -> tuple[bytes, Any]:
        async def close() -> None:
            self.writer.close()

        return plist_frame({**base, "Result": "Success"}), close
