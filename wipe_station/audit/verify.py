"""Recomputing the chain and checking the signed checkpoints.

Streams events so a million-event log verifies in constant memory. Used both on the live database
and on an exported bundle (no database needed), so it takes plain records.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from wipe_station.audit.chain import checkpoint_message
from wipe_station.audit.walk import WalkState, missing_signed_events, walk_events
from wipe_station.db.bulk import gc_paused


class EventRecord(NamedTuple):
    """A tuple, so a million of them are made from database rows at C speed."""

    station: str
    seq: int
    at: str
    operator: str
    action: str
    device: int | None
    payload: str
    prev_hash: str
    hash: str


class CheckpointRecord(NamedTuple):
    station: str
    seq: int
    head_hash: str
    at: str
    signature: str


@dataclass(frozen=True)
class ChainReport:
    station: str
    events: int
    checkpoints: int
    last_signed_seq: int
    problem: str | None = None
    # The hash the last signed checkpoint the walk passed signs: where the next walk may resume.
    signed_head: str = ""
    # The signed checkpoint this walk resumed from (events up to it were not walked again).
    resumed_from: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def unsigned_tail(self) -> int:
        return self.events - self.last_signed_seq

    def summary(self) -> str:
        if self.problem:
            return f"BROKEN: station {self.station}: {self.problem}"
        text = (
            f"OK: station {self.station}: {self.events} events, chain intact, "
            f"{self.checkpoints} signed checkpoints (last at #{self.last_signed_seq})"
        )
        if self.resumed_from is not None:
            text += (
                f"; resumed from the signed checkpoint at #{self.resumed_from} verified before "
                "(--full checks every event)"
            )
        return text

    @property
    def walked(self) -> int:
        """Events this verification hashed (all of them, unless it resumed)."""
        return self.events - (self.resumed_from or 0)


def _signature_ok(key: Ed25519PublicKey, raw_key: bytes | None, cp: CheckpointRecord) -> bool:
    """OpenSSL's verdict on the checkpoint's signature, found faster.

    libsodium checks an Ed25519 signature in half OpenSSL's time (80 against 170 us here; a
    million events carry 15,625 signatures). Both compute the same cofactorless equation, and
    libsodium only adds refusals (small-order and non-canonical points), so what it accepts
    OpenSSL accepts: an acceptance stands, and a refusal is left to OpenSSL, which decides as
    it always did (tests/foundation/test_audit_signatures.py)."""
    msg = checkpoint_message(station=cp.station, seq=cp.seq, head=cp.head_hash, at=cp.at)
    try:
        signature = base64.b64decode(cp.signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    if raw_key is not None and len(signature) == 64:
        try:
            crypto_sign_open(signature + msg, raw_key)
        except (CryptoError, ValueError):
            pass  # refused by libsodium: OpenSSL has the last word
        else:
            return True
    try:
        key.verify(signature, msg)
    except (InvalidSignature, ValueError):
        return False
    return True


def _first_bad_signature(
    key: Ed25519PublicKey, checkpoints: list[CheckpointRecord]
) -> CheckpointRecord | None:
    try:
        raw_key: bytes | None = key.public_bytes_raw()
    except (AttributeError, ValueError):
        raw_key = None  # not a key libsodium takes: OpenSSL checks every signature
    return next((cp for cp in checkpoints if not _signature_ok(key, raw_key, cp)), None)


def verify_chain(
    station: str,
    events: Iterable[EventRecord],
    checkpoints: Iterable[CheckpointRecord],
    public_key: Ed25519PublicKey,
) -> ChainReport:
    """Check one station's chain; the report names the first event or checkpoint that fails."""
    return verify_walk(
        station,
        lambda heads, state: walk_events(station, events, heads, state),
        checkpoints,
        public_key,
    )


# Walks a chain given the head hash each checkpoint signs (by sequence number), advancing the
# state; returns the first problem, or None.
Walker = Callable[[Mapping[int, str], WalkState], "str | None"]


def verify_walk(
    station: str,
    walk: Walker,
    checkpoints: Iterable[CheckpointRecord],
    public_key: Ed25519PublicKey,
    start: WalkState | None = None,
) -> ChainReport:
    """`verify_chain` with the walk over the events supplied: one pass in order, or ranges
    walked by several processes (store.py) that judge as one pass would. ``start``: where a
    resumed walk begins (after a signed checkpoint verified before), the start of the chain
    if None.

    A bad checkpoint signature is reported before anything about the events, as always; the
    signatures are checked in a second thread while this one hashes the events, because
    Ed25519 in libsodium and OpenSSL runs without the GIL (a million events carry 15,625
    checkpoints)."""
    cps = list(checkpoints)
    # As before, a later checkpoint for the same sequence number stands for it.
    heads = {cp.seq: cp.head_hash for cp in cps}
    state = start if start is not None else WalkState()
    resumed_from = state.count if start is not None else None
    with ThreadPoolExecutor(1, thread_name_prefix="audit-signatures") as pool:
        bad_signature = pool.submit(_first_bad_signature, public_key, cps)
        try:
            with gc_paused():
                problem = walk(heads, state)
            if problem is None:
                problem = missing_signed_events(heads, state)
            report: ChainReport | None = ChainReport(
                station,
                state.count,
                state.signed,
                state.last_signed,
                problem,
                heads.get(state.last_signed, ""),
                resumed_from,
            )
        except Exception:
            if bad_signature.result() is None:
                raise  # e.g. an unreadable bundle line, found after the signatures passed
            report = None
        bad = bad_signature.result()
    if bad is not None or report is None:
        seq = bad.seq if bad is not None else 0
        return ChainReport(station, 0, 0, 0, f"checkpoint at #{seq} has an invalid signature")
    return report
