"""Walking a station's hash chain: the inner loop of `audit verify`.

Apart from verify.py so that a worker process (audit/worker.py) imports it without the signature
code. The walk is resumable (`WalkState`), so a chain can be walked in ranges, by several
processes, and still be judged as one walk in order would judge it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from wipe_station.audit.chain import _SAFE_INT, FORMAT_VERSION, GENESIS, hash_event


@dataclass(slots=True)
class WalkState:
    """Where a walk stands after the events that passed so far."""

    expected: int = 1  # the sequence number the next event must have
    prev: str = GENESIS  # the hash the next event must link to
    count: int = 0  # events that passed
    signed: int = 0  # of them, events a checkpoint signs
    last_signed: int = 0


def walk_events(
    station: str,
    events: Iterable[Sequence[Any]],
    heads: Mapping[int, str],
    state: WalkState,
) -> str | None:
    """Check `events` (EventRecord fields, in order) from `state` on: the problem with the first
    event that fails, or None. `heads` maps each signed checkpoint's sequence number to the hash
    it signs. `state` is moved past every event that passes, so after a problem it describes the
    events before it, as the report needs.

    The hash is written inline here: this loop runs a million times for a million events, and a
    function call per event costs more than the encoding. It writes the bytes `chain.hash_event`
    does (`chain._event_bytes`: keys in order, `encode_basestring` escaping exactly what RFC 8785
    escapes); tests/foundation/test_audit_walk.py checks the two agree. Whatever the inline form
    does not cover (another station's name, a bool or big integer, a non-string, a lone
    surrogate) goes through `hash_event`, which decides as before."""
    quote = encode_basestring
    sha256 = hashlib.sha256
    # The station and format version close every header; written once, not per event.
    closing = f',"station":{quote(station)},"v":{FORMAT_VERSION}}}'
    tail: str | None = closing
    try:
        closing.encode()
    except UnicodeEncodeError:
        tail = None  # a lone surrogate in the name: every event goes through hash_event
    expected, prev = state.expected, state.prev
    count, signed, last_signed = state.count, state.signed, state.last_signed
    # `prev` goes into the header unescaped, which is exact only for text with nothing to
    # escape: our own hex digests always, a resumed walk's first link (a stored value) maybe not.
    plain_prev = type(prev) is str and quote(prev) == f'"{prev}"'
    try:
        for st, seq, at, operator, action, device, payload, prev_hash, stored in events:
            if seq != expected:
                if seq > expected:
                    gap = f"#{expected}" if seq == expected + 1 else f"#{expected}-#{seq - 1}"
                    return f"event {gap} missing: the sequence jumps to #{seq}"
                return f"event #{seq} appears twice or out of order"
            if prev_hash != prev:
                return (
                    f"event #{seq} ({action}) does not link to event #{seq - 1}: "
                    "an earlier event was replaced"
                )
            actual = None
            if plain_prev and tail is not None and type(seq) is int and st == station:
                if device is None:
                    dev = "null"
                elif type(device) is int and -_SAFE_INT < device < _SAFE_INT:
                    dev = str(device)
                else:
                    dev = ""
                if dev:
                    try:
                        raw = (
                            f'{{"action":{quote(action)},"at":{quote(at)},"device":{dev},'
                            f'"operator":{quote(operator)},"payload":{quote(payload)},'
                            f'"prev":"{prev}","seq":{seq}{tail}'
                        ).encode()
                    except (TypeError, UnicodeEncodeError):
                        pass  # not a string, or a lone surrogate: hash_event decides
                    else:
                        actual = sha256(raw).hexdigest()
            if actual is None:
                actual = hash_event(st, seq, at, operator, action, device, payload, prev_hash)
            if actual != stored:
                return (
                    f"event #{seq} ({action}, {at}) does not match its hash: "
                    "its stored contents were changed"
                )
            head = heads.get(seq)
            if head is not None:
                if head != actual:
                    return (
                        f"event #{seq} ({action}) differs from the signed checkpoint: "
                        f"events up to #{seq} were rewritten"
                    )
                signed += 1
                last_signed = seq
            prev = actual
            plain_prev = True
            expected += 1
            count += 1
        return None
    finally:
        state.expected, state.prev = expected, prev
        state.count, state.signed, state.last_signed = count, signed, last_signed


def missing_signed_events(heads: Mapping[int, str], state: WalkState) -> str | None:
    """After a whole chain passed: a checkpoint that signs an event past its end means the
    events after the end were deleted."""
    beyond = sorted(seq for seq in heads if seq > state.count)
    if beyond:
        return (
            f"checkpoint at #{beyond[0]} signs event #{beyond[0]}, which is missing: "
            f"events after #{state.count} were deleted"
        )
    return None
