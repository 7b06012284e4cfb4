"""The audit chain's direct encoder writes the same bytes as the RFC 8785 library it stands in
for: hashes made before and after it (and by an auditor's own tool) stay equal."""

from __future__ import annotations

import hashlib

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from wipe_station.audit.chain import FORMAT_VERSION, canonical, checkpoint_message, event_hash

# Every code point but lone surrogates, which neither encoder accepts; control characters,
# quotes, backslashes, DEL, line separators and astral characters included.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
INT = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)


@given(TEXT, INT, TEXT, TEXT, TEXT, st.none() | INT, TEXT, TEXT)
def test_event_hash_equals_rfc8785(
    station: str,
    seq: int,
    at: str,
    operator: str,
    action: str,
    device: int | None,
    payload: str,
    prev: str,
) -> None:
    fields = dict(
        station=station,
        seq=seq,
        at=at,
        operator=operator,
        action=action,
        device=device,
        payload=payload,
        prev=prev,
    )
    expected = hashlib.sha256(rfc8785.dumps({"v": FORMAT_VERSION, **fields})).hexdigest()
    assert event_hash(**fields) == expected  # type: ignore[arg-type]


@given(TEXT, INT, TEXT, TEXT)
def test_checkpoint_message_equals_rfc8785(station: str, seq: int, head: str, at: str) -> None:
    expected = rfc8785.dumps(
        {
            "type": "wipe-station-audit-checkpoint",
            "v": FORMAT_VERSION,
            "station": station,
            "seq": seq,
            "head": head,
            "at": at,
        }
    )
    assert checkpoint_message(station=station, seq=seq, head=head, at=at) == expected


def test_values_outside_the_fast_path_still_follow_rfc8785() -> None:
    # A bool is not an integer to RFC 8785, and 2**53 is past its safe range: the library decides.
    for device in (True, 2**53 + 1):
        try:
            expected = hashlib.sha256(
                rfc8785.dumps(
                    {
                        "v": FORMAT_VERSION,
                        "station": "s",
                        "seq": 1,
                        "at": "a",
                        "operator": "o",
                        "action": "x",
                        "device": device,
                        "payload": "{}",
                        "prev": "0",
                    }
                )
            ).hexdigest()
        except Exception as exc:
            expected = type(exc).__name__
        try:
            got = event_hash(
                station="s",
                seq=1,
                at="a",
                operator="o",
                action="x",
                device=device,
                payload="{}",
                prev="0",
            )
        except Exception as exc:
            got = type(exc).__name__
        assert got == expected


JSON = st.recursive(
    st.none() | st.booleans() | INT | TEXT | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(JSON)
def test_canonical_equals_rfc8785(value: object) -> None:
    try:
        expected: object = rfc8785.dumps(value)
    except Exception as exc:
        expected = type(exc).__name__
    try:
        got: object = canonical(value)
    except Exception as exc:
        got = type(exc).__name__
    assert got == expected
