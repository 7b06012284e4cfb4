"""The ADB wire protocol, as adbd speaks it: 24-byte headers, commands, checksums, auth keys.

Reference: AOSP system/core/adb/protocol.txt and adb.h.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

HEADER = struct.Struct("<6I")
HEADER_SIZE = HEADER.size  # 24

A_SYNC = 0x434E5953
A_CNXN = 0x4E584E43
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_CLSE = 0x45534C43
A_WRTE = 0x45545257
A_AUTH = 0x48545541
A_STLS = 0x534C5453
COMMANDS = {A_SYNC, A_CNXN, A_OPEN, A_OKAY, A_CLSE, A_WRTE, A_AUTH, A_STLS}

A_VERSION_MIN = 0x01000000
A_VERSION_SKIP_CHECKSUM = 0x01000001
A_VERSION = 0x01000001
MAX_PAYLOAD_V1 = 4 * 1024
MAX_PAYLOAD = 1024 * 1024

AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3
TOKEN_SIZE = 20

NAMES = {
    A_SYNC: "SYNC",
    A_CNXN: "CNXN",
    A_OPEN: "OPEN",
    A_OKAY: "OKAY",
    A_CLSE: "CLSE",
    A_WRTE: "WRTE",
    A_AUTH: "AUTH",
    A_STLS: "STLS",
}


class ProtocolError(Exception):
    """The peer sent something a real adbd would drop the connection for."""


@dataclass(frozen=True, slots=True)
class Message:
    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    def pack(self, with_checksum: bool = True) -> bytes:
        check = checksum(self.data) if with_checksum else 0
        return (
            HEADER.pack(
                self.command, self.arg0, self.arg1, len(self.data), check, self.command ^ 0xFFFFFFFF
            )
            + self.data
        )

    @property
    def name(self) -> str:
        return NAMES.get(self.command, f"0x{self.command:08x}")


def checksum(data: bytes) -> int:
    return sum(data) & 0xFFFFFFFF


def parse_header(raw: bytes) -> tuple[int, int, int, int, int]:
    command, arg0, arg1, length, check, magic = HEADER.unpack(raw)
    if command not in COMMANDS or magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad ADB header (command 0x{command:08x}, magic 0x{magic:08x})")
    return command, arg0, arg1, length, check


def decode_adb_public_key(blob: bytes) -> tuple[str, RSAPublicKey]:
    """Parse the RSAPUBLICKEY payload: base64 of Android's RSAPublicKey struct, a space and a
    comment, NUL-terminated. Returns (base64 key text, key)."""
    text = blob.rstrip(b"\x00").decode("ascii", "replace").strip()
    b64 = text.split(" ", 1)[0]
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("RSAPUBLICKEY is not base64") from exc
    if len(raw) < 12:
        raise ProtocolError("RSAPUBLICKEY is too short")
    (words,) = struct.unpack_from("<I", raw, 0)
    size = words * 4
    if words == 0 or len(raw) != 8 + 2 * size + 4:
        raise ProtocolError("RSAPUBLICKEY has the wrong length")
    n = int.from_bytes(raw[8 : 8 + size], "little")
    (e,) = struct.unpack_from("<I", raw, 8 + 2 * size)
    return b64, RSAPublicNumbers(e, n).public_key()


def encode_adb_public_key(key: RSAPublicKey) -> str:
    """Android's RSAPublicKey struct, base64: what `adb` stores in adbkey.pub and
    /data/misc/adb/adb_keys holds."""
    nums = key.public_numbers()
    words = key.key_size // 32
    r32 = 1 << 32
    n0inv = (-pow(nums.n, -1, r32)) % r32
    rr = pow(1 << (key.key_size), 2, nums.n)
    raw = (
        struct.pack("<II", words, n0inv)
        + nums.n.to_bytes(words * 4, "little")
        + rr.to_bytes(words * 4, "little")
        + struct.pack("<I", nums.e)
    )
    return base64.b64encode(raw).decode("ascii")
