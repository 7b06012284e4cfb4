"""Times as the depot reads them: local wall-clock time in the depot's zone, the UTC instant beside.

The zone travels inside the signed payload, so a verifier anywhere draws the same page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def parse_utc(text: str) -> datetime | None:
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def zone(name: str) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_and_utc(text: str, zone_name: str) -> str:
    """``2026-11-25 11:15:00 Europe/Oslo (UTC 2026-11-25 10:15:00)``, to the second.

    Text that is no timestamp is returned as it is: the page never invents a time.
    """
    ts = parse_utc(text)
    if ts is None:
        return text
    utc = f"{ts:%Y-%m-%d %H:%M:%S} UTC"
    tz = zone(zone_name)
    if tz is None:
        return utc
    local = ts.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M:%S} {zone_name} ({utc})"
