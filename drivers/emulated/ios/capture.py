"""Real `ideviceinfo` dumps turned into a profile's ``captured:`` map.

Two shapes occur in public sources: ideviceinfo's own text (``Key: value``; nested entries
indented by one space; data base64-encoded) and Markdown tables people paste (``| Key | Value |``).
Only the default domain is captured; NonVolatileRAM entries become bytes, as lockdown sends
them. Lines starting with ``#`` are comments (a fixture's first line names its source).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

NVRAM = "NonVolatileRAM"
# Table rows name NVRAM entries at the top level; these belong inside NonVolatileRAM.
NVRAM_ENTRIES = frozenset(
    {"fm-activation-locked", "fm-spstatus", "fm-account-masked", "obliteration", "oblit-begins"}
)


def _scalar(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    return text


def parse_ideviceinfo(text: str) -> dict[str, dict[str, Any]]:
    """{"": {key: value}} from ideviceinfo's key/value output (top level and NonVolatileRAM)."""
    values: dict[str, Any] = {}
    current: str | None = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            key, _, rest = line.partition(":")
            current = key.strip()
            if "[" in current:  # arrays (CarrierBundleInfoArray[1]) are not captured
                current = None
                continue
            rest = rest.strip()
            if rest:
                values[current] = _scalar(rest)
            elif current == NVRAM:
                values[NVRAM] = {}
            else:
                values[current] = ""
            continue
        if current == NVRAM and line.startswith(" ") and not line.startswith("  "):
            key, _, rest = line.strip().partition(":")
            values[NVRAM][key.strip()] = _b64(rest.strip())
    return {"": values}


def parse_table(text: str) -> dict[str, dict[str, Any]]:
    """{"": {key: value}} from a Markdown table of key | value rows (other columns ignored)."""
    values: dict[str, Any] = {}
    nvram: dict[str, bytes] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("#") or len(cells) < 2 or set(cells[0]) <= {"-", " "}:
            continue
        key, value = cells[0], cells[1]
        if key.lower() in NVRAM_ENTRIES:
            nvram[key.lower()] = value.encode()
        elif key and key[0].isupper():
            values[key] = _scalar(value)
    if nvram:
        values[NVRAM] = nvram
    return {"": values}


def parse_dump(text: str) -> dict[str, dict[str, Any]]:
    body = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if body and body[0].lstrip().startswith("|"):
        return parse_table(text)
    return parse_ideviceinfo(text)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()
