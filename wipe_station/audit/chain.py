"""Pure functions that define the chain: what is hashed, what is signed. No database here.

The same functions verify a bundle on a machine that has no database, so they must stay pure.
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

import rfc8785

GENESIS = "0" * 64
FORMAT_VERSION = 1
_SAFE_INT = 2**53  # RFC 8785 writes integers up to here as plain decimals


def canonical(obj: Any) -> bytes:
    """RFC 8785 canonical JSON: one byte string for one meaning, so hashes are reproducible."""
    if _plain(obj):
        # Without floats and with ASCII keys, RFC 8785 is sorted-key compact JSON
        # with UTF-8 left unescaped; the C encoder writes it ~20x faster than rfc8785.
        try:
            return _compact(obj).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 refuses it, as before
    return rfc8785.dumps(obj)


_COMPACT = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def _refuse(obj: Any) -> Any:
    raise TypeError(f"{type(obj).__name__} is not JSON")


# `_COMPACT`'s own C encoder, made once: `JSONEncoder.encode` makes a new one for each call,
# a third of its time for an event's payload (an import encodes 20,000). No circular check:
# `_plain` has refused anything nested deeper than 32 levels. Where the C encoder is missing
# (not CPython), `_COMPACT` itself.
_C_COMPACT = (
    c_make_encoder(None, _refuse, encode_basestring, None, ":", ",", True, False, False)
    if c_make_encoder is not None
    else None
)


def _compact(obj: Any) -> str:
    if _C_COMPACT is None:
        return _COMPACT.encode(obj)
    return "".join(_C_COMPACT(obj, 0))


def _plain(obj: Any, depth: int = 0) -> bool:
    """Only what RFC 8785 and `json` write alike: str, safe int, bool, None, lists, dicts."""
    t = type(obj)
    if t is str or t is bool or obj is None:
        return True
    if t is int:
        return -_SAFE_INT < obj < _SAFE_INT
    if depth > 32:
        return False
    if t is dict:
        for k, v in obj.items():
            if type(k) is not str or not k.isascii():
                return False
            tv = type(v)
            if tv is str or v is None:
                continue
            if tv is int:  # the common non-text value, checked here rather than by a call
                if not -_SAFE_INT < v < _SAFE_INT:
                    return False
            elif not _plain(v, depth + 1):
                return False
        return True
    if t is list:
        return all(_plain(v, depth + 1) for v in obj)
    return False


def _fast_canonical(fields: dict[str, str | int | None]) -> bytes | None:
    """RFC 8785 bytes of a flat object of strings, safe integers and nulls, written directly:
    `audit verify` hashes a million of these, and the general encoder costs ~30x more.

    Equal to `canonical` for such objects: keys here are ASCII, so code-point order is RFC 8785's
    UTF-16 order; `encode_basestring` escapes exactly what RFC 8785 does (quote, backslash,
    U+0000-U+001F, with short forms for BS, TAB, LF, FF and CR, else u00xx) and leaves the rest as
    UTF-8. tests/foundation/test_audit_canonical.py checks this against rfc8785 with
    hypothesis. Anything else (a lone surrogate, a bool, a big integer) returns None, and the
    caller uses `canonical`, which refuses or encodes it as before."""
    parts = []
    for key in sorted(fields):
        value = fields[key]
        if value is None:
            text = "null"
        elif type(value) is str:
            text = encode_basestring(value)
        elif type(value) is int and -_SAFE_INT < value < _SAFE_INT:
            text = str(value)
        else:
            return None
        parts.append(f'"{key}":{text}')
    try:
        return ("{" + ",".join(parts) + "}").encode("utf-8")
    except UnicodeEncodeError:
        return None


def event_hash(
    *,
    station: str,
    seq: int,
    at: str,
    operator: str,
    action: str,
    device: int | None,
    payload: str,
    prev: str,
) -> str:
    return hash_event(station, seq, at, operator, action, device, payload, prev)


def hash_event(
    station: str,
    seq: int,
    at: str,
    operator: str,
    action: str,
    device: int | None,
    payload: str,
    prev: str,
) -> str:
    """`event_hash` with positional arguments, for verify's inner loop."""
    # The payload is hashed as the exact stored text (already canonical when written), so a
    # changed byte anywhere in it changes the hash without re-parsing it on every verify.
    raw = _event_bytes(station, seq, at, operator, action, device, payload, prev)
    if raw is None:
        header = {
            "v": FORMAT_VERSION,
            "station": station,
            "seq": seq,
            "at": at,
            "operator": operator,
            "action": action,
            "device": device,
            "payload": payload,
            "prev": prev,
        }
        raw = canonical(header)
    return hashlib.sha256(raw).hexdigest()


def _event_bytes(
    station: str,
    seq: int,
    at: str,
    operator: str,
    action: str,
    device: int | None,
    payload: str,
    prev: str,
) -> bytes | None:
    """`_fast_canonical` of an event header with its keys in order: verify's inner loop."""
    if type(seq) is not int or not -_SAFE_INT < seq < _SAFE_INT:
        return None
    if device is None:
        dev = "null"
    elif type(device) is int and -_SAFE_INT < device < _SAFE_INT:
        dev = str(device)
    else:
        return None
    try:
        text = (
            f'{{"action":{encode_basestring(action)},"at":{encode_basestring(at)},'
            f'"device":{dev},"operator":{encode_basestring(operator)},'
            f'"payload":{encode_basestring(payload)},"prev":{encode_basestring(prev)},'
            f'"seq":{seq},"station":{encode_basestring(station)},"v":{FORMAT_VERSION}}}'
        )
        return text.encode("utf-8")
    except (TypeError, UnicodeEncodeError):
        return None  # not a string, or a lone surrogate: `canonical` decides, as before


def checkpoint_message(*, station: str, seq: int, head: str, at: str) -> bytes:
    message: dict[str, Any] = {
        "type": "wipe-station-audit-checkpoint",
        "v": FORMAT_VERSION,
        "station": station,
        "seq": seq,
        "head": head,
        "at": at,
    }
    raw = _fast_canonical(message)
    return raw if raw is not None else canonical(message)


def commitment(salt_hex: str, value: str) -> str:
    """Commit to a personal value; with the salt erased it can be neither recovered nor tested."""
    return hashlib.sha256(bytes.fromhex(salt_hex) + value.encode("utf-8")).hexdigest()


def kept_commitments(salt_hex: str, values: dict[str, str]) -> dict[str, str]:
    """Commit to the personal values of a record that keeps them itself under one salt (an
    intake line): for each field, SHA-256 of the salt, the field's name, a NUL and the value,
    as `commitment` but with the name, so that one salt serves every field of the record
    and the same text as name and as reason commits differently. Erasing the salt leaves
    every one untestable."""
    key = bytes.fromhex(salt_hex)
    out = {}
    for field, value in values.items():
        out[field] = hashlib.sha256(
            key + field.encode("ascii") + b"\0" + value.encode("utf-8")
        ).hexdigest()
    return out
