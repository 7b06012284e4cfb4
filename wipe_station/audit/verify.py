"""Recomputing the chain and checking the signed checkpoints.

Streams events so a million-event log verifies in constant memory. Used both on the live database
and on an exported bundle (no database needed), so it takes plain records.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from wipe_station.audit.chain import GENESIS, checkpoint_message, hash_event


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

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def unsigned_tail(self) -> int:
        return self.events - self.last_signed_seq

    def summary(self) -> str:
        if self.problem:
            return f"BROKEN: station {self.station}: {self.problem}"
        return (
            f"OK: station {self.station}: {self.events} events, chain intact, "
            f"{self.checkpoints} signed checkpoints (last at #{self.last_signed_seq})"
        )


def _signature_ok(key: Ed25519PublicKey, cp: CheckpointRecord) -> bool:
    msg = checkpoint_message(station=cp.station, seq=cp.seq, head=cp.head_hash, at=cp.at)
    try:
        key.verify(base64.b64decode(cp.signature, validate=True), msg)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def _first_bad_signature(
    key: Ed25519PublicKey, checkpoints: list[CheckpointRecord]
) -> CheckpointRecord | None:
    return next((cp for cp in checkpoints if not _signature_ok(key, cp)), None)


def verify_chain(
    station: str,
    events: Iterable[EventRecord],
    checkpoints: Iterable[CheckpointRecord],
    public_key: Ed25519PublicKey,
) -> ChainReport:
    """Check one station's chain; the report names the first event or checkpoint that fails.

    A bad checkpoint signature is reported before anything about the events, as always; the
    signatures are checked in a second thread while this one hashes the events, because
    OpenSSL's Ed25519 runs without the GIL (a million events carry 15,625 checkpoints)."""
    cps = list(checkpoints)
    with ThreadPoolExecutor(1, thread_name_prefix="audit-signatures") as pool:
        bad_signature = pool.submit(_first_bad_signature, public_key, cps)
        try:
            report = _walk(station, events, {cp.seq: cp for cp in cps})
        except Exception:
            if bad_signature.result() is None:
                raise  # e.g. an unreadable bundle line, found after the signatures passed
            report = None
        bad = bad_signature.result()
    if bad is not None or report is None:
        seq = bad.seq if bad is not None else 0
        return ChainReport(station, 0, 0, 0, f"checkpoint at #{seq} has an invalid signature")
    return report


def _walk(
    station: str, events: Iterable[EventRecord], by_seq: dict[int, CheckpointRecord]
) -> ChainReport:
    expected, prev, count, last_signed, signed = 1, GENESIS, 0, 0, 0

    def report(problem: str | None) -> ChainReport:
        return ChainReport(station, count, signed, last_signed, problem)

    for ev in events:
        if ev.seq != expected:
            if ev.seq > expected:
                gap = f"#{expected}" if ev.seq == expected + 1 else f"#{expected}-#{ev.seq - 1}"
                return report(f"event {gap} missing: the sequence jumps to #{ev.seq}")
            return report(f"event #{ev.seq} appears twice or out of order")
        if ev.prev_hash != prev:
            return report(
                f"event #{ev.seq} ({ev.action}) does not link to event #{ev.seq - 1}: "
                "an earlier event was replaced"
            )
        actual = hash_event(*ev[:8])  # station, seq, at, operator, action, device, payload, prev
        if actual != ev.hash:
            return report(
                f"event #{ev.seq} ({ev.action}, {ev.at}) does not match its hash: "
                "its stored contents were changed"
            )
        cp = by_seq.get(ev.seq)
        if cp is not None:
            if cp.head_hash != actual:
                return report(
                    f"event #{ev.seq} ({ev.action}) differs from the signed checkpoint: "
                    f"events up to #{ev.seq} were rewritten"
                )
            signed += 1
            last_signed = ev.seq
        prev = actual
        expected += 1
        count += 1

    beyond = sorted(seq for seq in by_seq if seq > count)
    if beyond:
        return report(
            f"checkpoint at #{beyond[0]} signs event #{beyond[0]}, which is missing: "
            f"events after #{count} were deleted"
        )
    return report(None)
