"""Getting the phone to trust the station: the Trust dialog, a locked screen, a refusal."""

from __future__ import annotations

import asyncio
import time
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric import rsa
from pymobiledevice3.exceptions import (
    PairingDialogResponsePendingError,
    PasswordRequiredError,
    UserDeniedPairingError,
)

from drivers.contract import Progress
from drivers.ios.errors import translated
from drivers.ios.lockdown import GuardedLockdown
from drivers.ios.progress import TAP_TRUST, UNLOCK_FIRST, say

REASK_S = 10.0


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
    # Each Pair attempt builds a certificate chain; RSA key generation blocks the event loop
    # (~65 ms a key), so the host key is made once, in a thread. After the first answer,
    # pymobiledevice3 re-sends the same request every second by itself (no new keys) for up
    # to REASK_S, instead of us building a new chain four times a second per waiting phone.
    host_key = await asyncio.to_thread(
        rsa.generate_private_key, public_exponent=65537, key_size=2048
    )
    wait_s = 0.0  # the first attempt only asks, so the technician is told what to do at once
    while True:
        with translated("pairing with the phone"):
            try:
                await client.pair(timeout=wait_s, private_key=host_key)
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
        left = deadline - time.monotonic()
        if left < poll_s:
            return state, answer
        if state is TrustState.LOCKED:
            wait_s = 0.0  # ask again soon: unlocking does not answer a pending request
            await asyncio.sleep(poll_s)
        else:
            wait_s = min(REASK_S, left)
