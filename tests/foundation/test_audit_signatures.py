"""Checkpoint signatures are judged as OpenSSL (the `cryptography` package) judges them, though
libsodium checks them first: its acceptance stands, its refusal is left to OpenSSL."""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from wipe_station.audit.chain import checkpoint_message
from wipe_station.audit.verify import CheckpointRecord, _first_bad_signature, _signature_ok

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
L = 2**252 + 27742317777372353535851937790883648493  # the group order: S must stay below it


def _openssl(key: Ed25519PublicKey, signature: bytes, msg: bytes) -> bool:
    try:
        key.verify(signature, msg)
    except (InvalidSignature, ValueError):
        return False
    return True


def _checkpoint(signature: bytes, seq: int = 64) -> CheckpointRecord:
    return CheckpointRecord(
        "ST1", seq, "a" * 64, "2026-11-30T10:00:00Z", base64.b64encode(signature).decode()
    )


def _message(cp: CheckpointRecord) -> bytes:
    return checkpoint_message(station=cp.station, seq=cp.seq, head=cp.head_hash, at=cp.at)


def _ok(key: Ed25519PublicKey, cp: CheckpointRecord) -> bool:
    return _signature_ok(key, key.public_bytes_raw(), cp)


@settings(max_examples=200)
@given(st.integers(min_value=1, max_value=2**40), st.integers(0, 511), st.booleans())
def test_a_signature_is_judged_as_openssl_judges_it(seq: int, bit: int, flip: bool) -> None:
    cp = _checkpoint(b"", seq)
    signature = bytearray(KEY.sign(_message(cp)))
    if flip:
        signature[bit // 8] ^= 1 << (bit % 8)
    cp = cp._replace(signature=base64.b64encode(bytes(signature)).decode())
    public = KEY.public_key()
    assert _ok(public, cp) is _openssl(public, bytes(signature), _message(cp)) is not flip


def test_what_only_libsodium_refuses_openssl_decides() -> None:
    # The neutral point as public key and as R, with S = 0: the equation holds, OpenSSL accepts
    # it, libsodium refuses small-order points. The verdict stays OpenSSL's.
    neutral = bytes([1]) + bytes(31)
    key = Ed25519PublicKey.from_public_bytes(neutral)
    cp = _checkpoint(neutral + bytes(32))
    try:
        crypto_sign_open(neutral + bytes(32) + _message(cp), neutral)
        refused = False
    except CryptoError:
        refused = True
    assert refused
    assert _ok(key, cp) is _openssl(key, neutral + bytes(32), _message(cp))


def test_malformed_signatures_are_refused() -> None:
    public = KEY.public_key()
    good = KEY.sign(_message(_checkpoint(b"")))
    s = int.from_bytes(good[32:], "little")
    malleated = good[:32] + (s + L).to_bytes(32, "little")  # the same S, not reduced
    for signature in (good[:63], good + b"\0", malleated, bytes(64)):
        assert not _ok(public, _checkpoint(signature))
    assert not _ok(public, _checkpoint(b"")._replace(signature="not base64!"))
    assert _ok(public, _checkpoint(good))


def test_the_first_bad_signature_is_named() -> None:
    public = KEY.public_key()
    cps = [_checkpoint(b"", seq) for seq in (64, 128, 192)]
    cps = [cp._replace(signature=base64.b64encode(KEY.sign(_message(cp))).decode()) for cp in cps]
    assert _first_bad_signature(public, cps) is None
    cps[1] = cps[1]._replace(head_hash="b" * 64)
    assert _first_bad_signature(public, cps) == cps[1]
