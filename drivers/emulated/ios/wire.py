"""Framing shared by the emulated usbmuxd and the services behind it.

usbmuxd packets: a 16-byte little-endian header (total length, version, message type, tag) and a
plist body. Lockdown and its services: a 4-byte big-endian length, then a plist.
"""

from __future__ import annotations

import asyncio
import plistlib
import struct
from typing import Any

USBMUX_HEADER = struct.Struct("<IIII")
USBMUX_VERSION_PLIST = 1
USBMUX_TYPE_RESULT = 1
USBMUX_TYPE_PLIST = 8
LENGTH_PREFIX = struct.Struct(">I")
# A lockdown plist is a few kB; anything near this is a broken or hostile peer.
MAX_FRAME = 16 * 1024 * 1024


class FrameError(Exception):
    """The peer sent bytes that are not a valid frame."""


async def read_usbmux_packet(reader: asyncio.StreamReader) -> tuple[int, int, int, bytes]:
    """Return (version, message type, tag, body); raises IncompleteReadError at EOF."""
    header = await reader.readexactly(USBMUX_HEADER.size)
    length, version, message, tag = USBMUX_HEADER.unpack(header)
    if length < USBMUX_HEADER.size or length > MAX_FRAME:
        raise FrameError(f"usbmux packet length {length}")
    body = await reader.readexactly(length - USBMUX_HEADER.size)
    return version, message, tag, body


def usbmux_plist_packet(tag: int, payload: dict[str, Any]) -> bytes:
    body = plistlib.dumps(payload)
    header = USBMUX_HEADER.pack(
        USBMUX_HEADER.size + len(body), USBMUX_VERSION_PLIST, USBMUX_TYPE_PLIST, tag
    )
    return header + body


async def read_plist_frame(reader: asyncio.StreamReader) -> Any:
    (length,) = LENGTH_PREFIX.unpack(await reader.readexactly(LENGTH_PREFIX.size))
    if length > MAX_FRAME:
        raise FrameError(f"plist frame length {length}")
    data = await reader.readexactly(length)
    try:
        return plistlib.loads(data)
    except Exception as exc:  # plistlib raises several unrelated types on bad input
        raise FrameError("unparseable plist") from exc


def plist_frame(payload: Any) -> bytes:
    return raw_frame(plistlib.dumps(payload))


def raw_frame(data: bytes) -> bytes:
    return LENGTH_PREFIX.pack(len(data)) + data
