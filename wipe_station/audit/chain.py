"""Pure functions that define the chain: what is hashed, what is signed. No database here.

The same functions verify a bundle on a machine that has no database, so they must stay pure.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

GENESIS = "0" * 64
FORMAT_VERSION = 1


def canonical(obj: Any) -> bytes:
    """RFC 8785 canonical JSON: one byte string for one meaning, so hashes are reproducible."""
    return rfc8785.dumps(obj)


def event_hash(
    *,
    station: str,
    seq: int,
    at: str,
    operator: str,
    action: str,
    device: int | None,
    payload: str,
    prev: str,
) -> str:
    # The payload is hashed as the exact stored text (already canonical when written), so a
    # changed byte anywhere in it changes the hash without re-parsing it on every verify.
    header = {
        "v": FORMAT_VERSION,
        "station": station,
        "seq": seq,
        "at": at,
        "operator": operator,
        "action": action,
        "device": device,
        "payload": payload,
        "prev": prev,
    }
    return hashlib.sha256(canonical(header)).hexdigest()


def checkpoint_message(*, station: str, seq: int, head: str, at: str) -> bytes:
    return canonical(
        {
            "type": "wipe-station-audit-checkpoint",
            "v": FORMAT_VERSION,
            "station": station,
            "seq": seq,
            "head": head,
            "at": at,
        }
    )


def commitment(salt_hex: str, value: str) -> str:
    """Commit to a personal value; with the salt erased it can be neither recovered nor tested."""
    return hashlib.sha256(bytes.fromhex(salt_hex) + value.encode("utf-8")).hexdigest()
