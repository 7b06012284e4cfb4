"""Reading what a phone answered: pure functions over the text of allow-listed commands.

Each one knows the real formats (AOSP sources and captures in tests/fixtures/real/android) and
says "unknown" rather than guessing when an answer is not in a format it knows.
"""

from __future__ import annotations

import hashlib
import re

UNKNOWN = "unknown"


def count(text: str) -> int | None:
    """The number a `grep -c` / `wc -l` printed, or None."""
    first = text.strip().splitlines()[:1]
    return int(first[0]) if first and first[0].strip().isdigit() else None


def dpm_unsupported(text: str) -> bool:
    """`dpm` before Android 12 answers list-owners with its usage and an error."""
    return "usage: dpm" in text or "Error: unknown command" in text or "Unknown command" in text


def owners_from_dpm(text: str) -> bool | None:
    """True: a device or profile owner; False: none; None: not an answer we know."""
    if dpm_unsupported(text):
        return None
    if re.search(r"^no owners\s*$", text, re.M):
        return False
    if re.search(r"^\d+ owners?:", text, re.M):
        return True
    return None


def lock_state(text: str) -> str:
    """ "none", "set" or "unknown" from `dumpsys lock_settings | grep CredentialType`."""
    kinds = re.findall(r"CredentialType:\s*(\S+)", text)
    if not kinds:
        return UNKNOWN
    return "none" if all(k == "None" for k in kinds) else "set"


def commitment(salt: bytes, value: str) -> str:
    """A salted hash: lets the driver compare identifiers without keeping them."""
    return hashlib.sha256(salt + value.strip().encode()).hexdigest()[:16]


def test_harness_refusal(text: str) -> str:
    """ "" when `cmd testharness enable` accepted; otherwise why it did not."""
    text = text.strip()
    if not text:
        return ""
    if "lock screen" in text:
        return "a screen lock is set"
    if "Failed to enable Test Harness Mode" in text:
        return "this phone's maker left out what Test Harness Mode needs"
    if "Can't find service" in text:
        return "this Android release has no Test Harness Mode"
    return "refused: " + text.splitlines()[0][:120]
