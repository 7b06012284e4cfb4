"""Unexpected failures go to a private log in the station's home, never to the screen in full.

The log holds frames and messages only (never local variables, where a typed PIN could sit),
with secrets blacked out: argon2 PIN hashes, PEM keys and certificates (pair records hold them),
and base64 blobs long enough to be key material.
"""

from __future__ import annotations

import re
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

_SECRETS = (
    re.compile(r"\$argon2[a-z]*\$[^\s'\"]*"),
    re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.S),
    re.compile(r"[A-Za-z0-9+/=]{64,}"),
)


def redact(text: str) -> str:
    for pattern in _SECRETS:
        text = pattern.sub("[redacted]", text)
    return text


def record(exc: BaseException, home: Path | None) -> Path | None:
    """Append ``exc``'s traceback to the log in ``home``; None if there is nowhere to write."""
    from wipe_station.paths import log_file, station_home

    try:
        path = log_file(station_home(home))
        detail = redact("".join(traceback.format_exception(exc)))
        with path.open("a", encoding="utf-8") as out:
            out.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')} {sys.argv!r}\n")
            out.write(detail)
        return path
    except Exception:  # the handler of last resort must not fail in its turn
        return None
