"""Unique, well-formed identities for fleets of lab phones (UDID, serial, IMEIs)."""

from __future__ import annotations

import hashlib

# ProductType -> the ChipID that prefixes a modern UDID (<ChipID:08X>-<ECID:016X>).
CHIP_IDS = {
    "iPhone11,8": 0x8020,
    "iPhone12,1": 0x8030,
    "iPhone12,8": 0x8030,
    "iPhone13,2": 0x8101,
    "iPhone14,5": 0x8110,
    "iPhone14,7": 0x8110,
    "iPhone15,2": 0x8120,
    "iPhone15,4": 0x8120,
    "iPhone16,1": 0x8130,
}
_SERIAL_ALPHABET = "0123456789CDFGHJKLMNPQRTVWXY"


def luhn_complete(body: str) -> str:
    """Append the Luhn check digit an IMEI carries."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def fleet_identity(
    product_type: str, index: int, seed: str = "lab"
) -> tuple[str, str, tuple[str, str]]:
    """(udid, serial, (imei, imei2)) for the index-th phone; stable across runs."""
    digest = hashlib.sha256(f"{seed}/{product_type}/{index}".encode()).digest()
    ecid = int.from_bytes(digest[:7], "big")
    udid = f"{CHIP_IDS.get(product_type, 0x8110):08X}-{ecid:016X}"
    serial = "".join(_SERIAL_ALPHABET[b % len(_SERIAL_ALPHABET)] for b in digest[7:19])
    tac = "35" + f"{int.from_bytes(digest[19:22], 'big') % 1_000_000:06d}"
    snr = f"{int.from_bytes(digest[22:25], 'big') % 1_000_000:06d}"
    imei = luhn_complete(tac + snr)
    imei2 = luhn_complete(tac + f"{(int(snr) + 7) % 1_000_000:06d}")
    return udid, serial, (imei, imei2)
