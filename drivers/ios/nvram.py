"""The few NonVolatileRAM entries the driver may keep, decoded to text.

lockdown answers ``GetValue Key=NonVolatileRAM`` with the whole NVRAM dictionary (values are
bytes, e.g. ``fm-activation-locked`` = b"YES"). Only ``allowlist.NVRAM_KEYS`` survive
``keep_allowed``; the owner's masked Apple ID and everything else never leave this module.
"""

from __future__ import annotations

from typing import Any

from pymobiledevice3.exceptions import MissingValueError

from drivers.ios.allowlist import NVRAM_KEYS
from drivers.ios.errors import translated
from drivers.ios.lockdown import GuardedLockdown

MAX_TEXT = 160  # an erase record is one short line; anything longer is cut, not kept whole


def decode(value: Any) -> str:
    """NVRAM values are bytes of ASCII text, sometimes NUL- or newline-terminated."""
    if isinstance(value, bytes | bytearray):
        text = bytes(value).split(b"\x00", 1)[0].decode("ascii", errors="replace")
    else:
        text = str(value)
    return text.strip()[:MAX_TEXT]


def keep_allowed(raw: Any) -> dict[str, str]:
    """The allow-listed entries of a NonVolatileRAM reply, decoded; {} for anything else."""
    if not isinstance(raw, dict):
        return {}
    return {k: decode(v) for k, v in raw.items() if k in NVRAM_KEYS}


async def read_nvram(client: GuardedLockdown) -> dict[str, str] | None:
    """None when the phone has no NonVolatileRAM value to give (older releases, or refused)."""
    with translated("reading the phone's NVRAM flags"):
        try:
            raw = await client.get_value(None, "NonVolatileRAM")
        except MissingValueError:
            return None
    return keep_allowed(raw) if isinstance(raw, dict) else None
