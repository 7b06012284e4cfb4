"""The virtual USB bus across a process boundary, so the lab can run apart from the station.

The lab process serves its `VirtualUsbBus` on a unix socket (`UsbBusServer`); the station builds
a pyusb backend on `RemoteUsbBus` and runs its USB code unchanged, as it would against libusb.
Each station thread keeps its own connection, and each request is answered before the next, as
a libusb transfer blocks its caller: no request ids, no reader thread. A connection is served by
its own thread in the lab, because a bulk read may block there until the phone answers.

Frames: 4-byte header length, 4-byte data length (big-endian), a JSON header, raw bytes.
Errors travel as libusb reports them (message, libusb code, errno), so the station sees the
same USBError/USBTimeoutError (ENODEV for a device that left the bus) in both modes.
"""

from __future__ import annotations

import array
import json
import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from typing import Any

import usb.core

from drivers.emulated.usb_bus import (
    Endpoint,
    Interface,
    VirtualBackend,
    VirtualUsbBus,
    VirtualUsbDevice,
    no_device,
    seconds,
)

_FRAME = struct.Struct(">II")
Control = Callable[..., Any]


def send_frame(sock: socket.socket, header: dict[str, Any], data: bytes = b"") -> None:
    raw = json.dumps(header, separators=(",", ":")).encode()
    sock.sendall(_FRAME.pack(len(raw), len(data)) + raw + data)


class FrameReader:
    """Frames off one connection. Requests and answers alternate, so one recv usually brings a
    whole frame: one system call (and one release of the GIL) per frame instead of two or
    more, which 32 phones' USB threads contending for the GIL paid for in context switches."""

    _CHUNK = 1 << 16

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()

    def _fill(self, n: int) -> bool:
        while len(self._buf) < n:
            chunk = self._sock.recv(max(self._CHUNK, n - len(self._buf)))
            if not chunk:
                return False
            self._buf += chunk
        return True

    def frame(self) -> tuple[dict[str, Any], bytes] | None:
        if not self._fill(_FRAME.size):
            return None
        n_header, n_data = _FRAME.unpack_from(self._buf)
        end = _FRAME.size + n_header + n_data
        if not self._fill(end):
            return None
        header = json.loads(self._buf[_FRAME.size : _FRAME.size + n_header])
        data = bytes(self._buf[_FRAME.size + n_header : end])
        del self._buf[:end]
        return header, data


# --- lab side ---------------------------------------------------------------------------------
def describe(dev: VirtualUsbDevice) -> dict[str, Any]:
    return {
        "port": dev.port_path,
        "address": dev.address,
        "vid": dev.vendor_id,
        "pid": dev.product_id,
        "manufacturer": dev.manufacturer,
        "product": dev.product,
        "serial": dev.serial,
        "bcd": dev.bcd_device,
        "interfaces": [
            [
                i.number,
                i.cls,
                i.subclass,
                i.protocol,
                [[e.address, e.max_packet, e.attributes] for e in i.endpoints],
                i.name,
            ]
            for i in dev.interfaces
        ],
    }


class UsbBusServer:
    """Serves ``bus`` (and the lab's control calls, by name) on a unix socket."""

    def __init__(self, bus: VirtualUsbBus, path: str, controls: dict[str, Control]) -> None:
        self.bus = bus
        self.controls = controls
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._serve(self.request)

        self._server = socketserver.ThreadingUnixStreamServer(path, Handler)
        self._server.daemon_threads = True
        # `shutdown` waits for serve_forever to look up, every half second by default: the lab
        # took up to 0.5 s to stop, and a timed run's end moved by as much (issue 19).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="lab-usb-server",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, sock: socket.socket) -> None:
        reader = FrameReader(sock)
        while True:
            try:
                frame = reader.frame()
            except OSError:
                return
            if frame is None:
                return
            header, data = frame
            try:
                reply, out = self._answer(header, data)
            except usb.core.USBTimeoutError as exc:
                reply, out = {"error": "timeout", **_error_fields(exc)}, b""
            except usb.core.USBError as exc:
                reply, out = {"error": "usb", **_error_fields(exc)}, b""
            except Exception as exc:  # a lab fault must reach the caller, not kill the thread
                reply, out = {"error": "lab", "text": f"{type(exc).__name__}: {exc}"}, b""
            try:
                send_frame(sock, reply, out)
            except OSError:
                return

    def _device(self, header: dict[str, Any]) -> VirtualUsbDevice:
        # The same check the in-process backend makes: this very device, not a re-plugged one.
        for dev in self.bus.devices():
            if dev.port_path == header["port"] and dev.address == header["address"]:
                return dev
        raise no_device()

    def _answer(self, header: dict[str, Any], data: bytes) -> tuple[dict[str, Any], bytes]:
        op = header["op"]
        if op == "list":
            return {"devices": [describe(d) for d in self.bus.devices()]}, b""
        if op == "attached":
            try:
                self._device(header)
            except usb.core.USBError:
                return {"attached": False}, b""
            return {"attached": True}, b""
        if op in ("write", "read"):
            dev = self._device(header)
            if dev.function is None:
                raise usb.core.USBError("Pipe error", -9, 32)
            if op == "write":
                n = dev.function.host_write(header["ep"], data, header["timeout_s"])
                return {"n": n}, b""
            return {}, dev.function.host_read(header["ep"], header["size"], header["timeout_s"])
        if op == "control":
            result = self.controls[header["name"]](*header.get("args", []))
            return {"result": result}, b""
        raise ValueError(f"unknown request {op!r}")


def _error_fields(exc: usb.core.USBError) -> dict[str, Any]:
    return {"text": exc.strerror, "code": exc.backend_error_code, "errno": exc.errno}


# --- station side -----------------------------------------------------------------------------
class RemoteUsbBus:
    """The lab's bus as the station's pyusb backend sees it, over ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        # The same device object for as long as the device stays plugged in, as libusb gives.
        self._known: dict[tuple[str, int], VirtualUsbDevice] = {}

    def _sock(self) -> tuple[socket.socket, FrameReader]:
        sock: socket.socket | None = getattr(self._local, "sock", None)
        if sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.path)
            self._local.sock, self._local.reader = sock, FrameReader(sock)
        return sock, self._local.reader

    def call(self, header: dict[str, Any], data: bytes = b"") -> tuple[dict[str, Any], bytes]:
        sock, reader = self._sock()
        try:
            send_frame(sock, header, data)
            frame = reader.frame()
        except OSError:
            frame = None
        if frame is None:
            # The lab is gone: to the station that is every device leaving the bus at once.
            self._local.sock = None
            sock.close()
            raise no_device()
        reply, out = frame
        error = reply.get("error")
        if error == "timeout":
            raise usb.core.USBTimeoutError(reply["text"], reply["code"], reply["errno"])
        if error == "usb":
            raise usb.core.USBError(reply["text"], reply["code"], reply["errno"])
        if error is not None:
            raise RuntimeError(f"lab: {reply['text']}")
        return reply, out

    def control(self, name: str, *args: Any) -> Any:
        reply, _ = self.call({"op": "control", "name": name, "args": list(args)})
        return reply["result"]

    def devices(self) -> list[VirtualUsbDevice]:
        try:
            reply, _ = self.call({"op": "list"})
        except usb.core.USBError:
            return []
        seen: dict[tuple[str, int], VirtualUsbDevice] = {}
        with self._lock:
            for d in reply["devices"]:
                key = (d["port"], d["address"])
                seen[key] = self._known.get(key) or self._build(d)
            self._known = seen
        return list(seen.values())

    def _build(self, d: dict[str, Any]) -> VirtualUsbDevice:
        interfaces = tuple(
            Interface(n, cls, sub, proto, tuple(Endpoint(*e) for e in eps), name)
            for n, cls, sub, proto, eps, name in d["interfaces"]
        )
        dev = VirtualUsbDevice(
            vendor_id=d["vid"],
            product_id=d["pid"],
            manufacturer=d["manufacturer"],
            product=d["product"],
            serial=d["serial"],
            port_path=d["port"],
            interfaces=interfaces,
            function=_RemoteFunction(self, d["port"], d["address"]),
            bcd_device=d["bcd"],
        )
        dev.address = d["address"]
        return dev

    def is_attached(self, device: VirtualUsbDevice) -> bool:
        try:
            reply, _ = self.call(
                {"op": "attached", "port": device.port_path, "address": device.address}
            )
        except usb.core.USBError:
            return False
        return bool(reply["attached"])

    def backend(self) -> RemoteBackend:
        return RemoteBackend(self)


class _RemoteFunction:
    def __init__(self, bus: RemoteUsbBus, port: str, address: int) -> None:
        self._bus, self._port, self._address = bus, port, address

    def host_write(self, endpoint: int, data: bytes, timeout_s: float) -> int:
        reply, _ = self._bus.call(
            {
                "op": "write",
                "port": self._port,
                "address": self._address,
                "ep": endpoint,
                "timeout_s": timeout_s,
            },
            data,
        )
        return int(reply["n"])

    def host_read(self, endpoint: int, size: int, timeout_s: float) -> bytes:
        _, data = self._bus.call(
            {
                "op": "read",
                "port": self._port,
                "address": self._address,
                "ep": endpoint,
                "size": size,
                "timeout_s": timeout_s,
            }
        )
        return data

    def disconnect(self) -> None:
        return None


class RemoteBackend(VirtualBackend):
    """The in-process backend, minus one round trip per transfer: the lab checks that the
    device is still plugged in as part of each transfer and answers ENODEV if not."""

    def bulk_write(
        self, dev_handle: VirtualUsbDevice, ep: int, intf: int, data: array.array, timeout: int
    ) -> int:
        assert dev_handle.function is not None  # every remote device has a _RemoteFunction
        return dev_handle.function.host_write(ep, bytes(data), seconds(timeout))

    def bulk_read(
        self, dev_handle: VirtualUsbDevice, ep: int, intf: int, buff: array.array, timeout: int
    ) -> int:
        assert dev_handle.function is not None
        data = dev_handle.function.host_read(ep, len(buff) * buff.itemsize, seconds(timeout))
        buff[: len(data)] = array.array("B", data)
        return len(data)
