"""adbd's side of one ADB connection: handshake, USB-debugging authorisation, streams.

Transport-agnostic: TCP and the virtual USB bus both hand it a byte reader and writer, as adbd's
own transport layer does.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from drivers.emulated.android import protocol as p
from drivers.emulated.android import shell

if TYPE_CHECKING:
    from drivers.emulated.android.phone import EmulatedAndroid

ReadExactly = Callable[[int], Awaitable[bytes]]
Write = Callable[[bytes], None]
FEATURES = "cmd,stat_v2,ls_v2,fixed_push_mkdir,apex,abb,fixed_push_symlink_timestamp,abb_exec"


@dataclass
class _Stream:
    local: int
    remote: int
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False


class AdbdConnection:
    def __init__(
        self, phone: EmulatedAndroid, read: ReadExactly, write: Write, close: Callable[[], None]
    ) -> None:
        self.phone = phone
        self._read = read
        self._write = write
        self._close = close
        self.version = p.A_VERSION
        self.max_payload = p.MAX_PAYLOAD_V1
        self.online = False
        self._token = b""
        self._streams: dict[int, _Stream] = {}
        self._next_id = 1
        self._tasks: set[asyncio.Task[None]] = set()
        self._sent = 0

    # -- framing -------------------------------------------------------------------------
    def send(self, msg: p.Message) -> None:
        with_checksum = self.version < p.A_VERSION_SKIP_CHECKSUM
        raw = msg.pack(with_checksum)
        if self.phone.profile.fault == "garbled" and msg.command == p.A_WRTE:
            self._sent += 1
            if self._sent % 3 == 0:
                # A flaky cable or a failing phone: the frame arrives, but not intact.
                raw = bytes(b ^ 0x5A for b in raw[:12]) + raw[12:]
        self._write(raw)

    async def _read_message(self) -> p.Message:
        head = await self._read(p.HEADER_SIZE)
        command, arg0, arg1, length, check = p.parse_header(head)
        if length > p.MAX_PAYLOAD:
            raise p.ProtocolError(f"payload of {length} bytes is larger than adbd accepts")
        data = await self._read(length) if length else b""
        if check and p.checksum(data) != check:
            raise p.ProtocolError("data checksum mismatch")
        return p.Message(command, arg0, arg1, data)

    # -- the connection ------------------------------------------------------------------
    async def run(self) -> None:
        try:
            while True:
                msg = await self._read_message()
                await self._dispatch(msg)
        except (asyncio.IncompleteReadError, ConnectionError, p.ProtocolError, EOFError):
            pass
        finally:
            for task in list(self._tasks):
                task.cancel()
            self._close()

    async def _dispatch(self, msg: p.Message) -> None:
        if msg.command == p.A_CNXN:
            self._on_connect(msg)
        elif msg.command == p.A_AUTH:
            await self._on_auth(msg)
        elif not self.online:
            return  # adbd ignores everything else until the host is authorised
        elif msg.command == p.A_OPEN:
            self._on_open(msg)
        elif msg.command == p.A_OKAY:
            stream = self._streams.get(msg.arg1)
            if stream is not None:
                stream.acked.set()
        elif msg.command == p.A_WRTE:
            stream = self._streams.get(msg.arg1)
            if stream is not None:
                self.send(p.Message(p.A_OKAY, stream.local, stream.remote))
        elif msg.command == p.A_CLSE:
            stream = self._streams.pop(msg.arg1, None)
            if stream is not None and not stream.closed:
                stream.closed = True
                self.send(p.Message(p.A_CLSE, stream.local, stream.remote))

    def _on_connect(self, msg: p.Message) -> None:
        self.version = max(p.A_VERSION_MIN, min(msg.arg0, p.A_VERSION))
        self.max_payload = max(p.MAX_PAYLOAD_V1, min(msg.arg1, p.MAX_PAYLOAD))
        self.online = False
        self._streams.clear()
        self._send_token()

    def _send_token(self) -> None:
        self._token = os.urandom(p.TOKEN_SIZE)
        self.send(p.Message(p.A_AUTH, p.AUTH_TOKEN, 0, self._token))

    async def _on_auth(self, msg: p.Message) -> None:
        if msg.arg0 == p.AUTH_SIGNATURE:
            if self._signed_by_authorised_key(msg.data):
                self.phone.log("auth: signature accepted")
                self._go_online()
            else:
                self.phone.log("auth: signature rejected")
                self._send_token()
        elif msg.arg0 == p.AUTH_RSAPUBLICKEY:
            try:
                b64, _key = p.decode_adb_public_key(msg.data)
            except p.ProtocolError:
                return
            self.phone.log("auth: 'Allow USB debugging?' shown")
            if await self.phone.ask_owner_to_allow(b64):
                self._go_online()

    def _signed_by_authorised_key(self, signature: bytes) -> bool:
        if self.phone.usb_function == "recovery_adb":
            return False  # recovery's adbd does not know the booted system's keys
        for b64 in self.phone.state.authorized_keys:
            try:
                _, key = p.decode_adb_public_key(b64.encode())
                # adbd checks the token as a SHA-1 "digest" signed with PKCS#1 v1.5.
                key.verify(
                    signature, self._token, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1())
                )
            except (InvalidSignature, p.ProtocolError, ValueError):
                continue
            return True
        return False

    def _go_online(self) -> None:
        self.online = True
        prof = self.phone.profile
        banner = (
            f"device::ro.product.name={prof.device};ro.product.model={self.phone.model};"
            f"ro.product.device={prof.device};features={FEATURES}"
        )
        self.send(p.Message(p.A_CNXN, self.version, self.max_payload, banner.encode()))

    # -- services ------------------------------------------------------------------------
    def _on_open(self, msg: p.Message) -> None:
        service = msg.data.rstrip(b"\x00").decode("utf-8", "replace")
        self.phone.received.append(service)
        local = self._next_id
        self._next_id += 1
        stream = _Stream(local, msg.arg0)
        if service.startswith("shell:") or service.startswith("exec:"):
            command = service.split(":", 1)[1]
            self._streams[local] = stream
            self.send(p.Message(p.A_OKAY, local, stream.remote))
            self._spawn(self._run_shell(stream, command))
        elif service.startswith("reboot:"):
            if self.phone.profile.fault == "unplug_mid_reset":
                self.phone.unplug_now()  # the cable comes out before the phone even answers
                return
            self._streams[local] = stream
            self.send(p.Message(p.A_OKAY, local, stream.remote))
            self.phone.reboot(service.split(":", 1)[1])
        else:
            # Unknown or unsupported service: adbd refuses the stream with CLSE(0, remote).
            self.send(p.Message(p.A_CLSE, 0, stream.remote))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_shell(self, stream: _Stream, command: str) -> None:
        if self.phone.profile.fault == "slow_replies":
            await asyncio.sleep(self.phone.profile.slow_reply_seconds)
        output, _status = shell.run(self.phone.state, command) if command else ("", 0)
        if not self.phone.plugged or self.phone.mode.value != "android":
            return  # the command took the phone down (a reset): nothing more leaves it
        data = output.encode("utf-8")
        for i in range(0, len(data), self.max_payload):
            if stream.closed:
                return
            stream.acked.clear()
            self.send(
                p.Message(p.A_WRTE, stream.local, stream.remote, data[i : i + self.max_payload])
            )
            await stream.acked.wait()
        if not stream.closed:
            stream.closed = True
            self.send(p.Message(p.A_CLSE, stream.local, stream.remote))
