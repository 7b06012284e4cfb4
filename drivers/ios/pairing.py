"""Getting the phone to trust the station: the Trust dialog, a locked screen, a refusal."""

from __future__ import annotations

import asyncio
import time
from enum import StrEnum

from pymobiledevice3.exceptions import (
    PairingDialogResponsePendingError,
    PasswordRequiredError,
    UserDeniedPairingError,
)

from drivers.contract import Progress
from drivers.ios.errors import translated
from drivers.ios.lockdown import GuardedLockdown
from drivers.ios.progress import TAP_TRUST, UNLOCK_FIRST, say


class TrustState(StrEnum):
    PAIRED = "paired"
    LOCKED = "locked"  # the screen is locked: lockdown answers PasswordProtected
    DENIED = "denied"  # someone tapped Don't Trust
    PENDING = "pending"  # the dialog is up and nobody answered in time


async def ensure_trust(
    client: GuardedLockdown,
    progress: Progress | None,
    timeout_s: float,
    poll_s: float,
) -> tuple[TrustState, str]:
    """Pair if needed; returns the state and the phone's last answer (a lockdown error name)."""
    if client.paired:
        return TrustState.PAIRED, "session started with the station's pair record"
    deadline = time.monotonic() + timeout_s
    told: str | None = None
    while True:
        with translated("pairing with the phone"):
            try:
                await client.pair(timeout=0)
                await client.validate_pairing()
                return (
                    (TrustState.PAIRED, "paired")
                    if client.paired
                    else (TrustState.PENDING, "paired but no session")
                )
            except UserDeniedPairingError:
                return TrustState.DENIED, "UserDeniedPairing"
            except PasswordRequiredError:
                state, answer, message = TrustState.LOCKED, "PasswordProtected", UNLOCK_FIRST
            except PairingDialogResponsePendingError:
                state, answer = TrustState.PENDING, "PairingDialogResponsePending"
                message = TAP_TRUST
        if message != told:
            await say(progress, message)
            told = message
        if time.monotonic() + poll_s > deadline:
            return state, answer
        await asyncio.sleep(poll_s)
