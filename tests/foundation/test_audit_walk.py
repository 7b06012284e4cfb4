"""`audit verify`'s fast walk judges a chain as the plain walk it replaced did: the same first
problem, named the same way, with the same counts; its inline encoder writes the bytes
`chain.hash_event` writes, for every value the log can hold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from wipe_station.audit.chain import GENESIS, event_hash, hash_event
from wipe_station.audit.verify import EventRecord
from wipe_station.audit.walk import WalkState, missing_signed_events, walk_events

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
# What a bundle line may carry where the database has a string or an integer.
ODD = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT


def _reference(
    station: str, events: Iterable[EventRecord], heads: Mapping[int, str]
) -> tuple[int, int, int, str | None]:
    """The walk as it was before (verify._walk), kept here as the definition."""
    expected, prev, count, last_signed, signed = 1, GENESIS, 0, 0, 0

    def report(problem: str | None) -> tuple[int, int, int, str | None]:
        return count, signed, last_signed, problem

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
        actual = hash_event(*ev[:8])
        if actual != ev.hash:
            return report(
                f"event #{ev.seq} ({ev.action}, {ev.at}) does not match its hash: "
                "its stored contents were changed"
            )
        head = heads.get(ev.seq)
        if head is not None:
            if head != actual:
                return report(
                    f"event #{ev.seq} ({ev.action}) differs from the signed checkpoint: "
                    f"events up to #{ev.seq} were rewritten"
                )
            signed += 1
            last_signed = ev.seq
        prev = actual
        expected += 1
        count += 1
    beyond = sorted(seq for seq in heads if seq > count)
    if beyond:
        return report(
            f"checkpoint at #{beyond[0]} signs event #{beyond[0]}, which is missing: "
            f"events after #{count} were deleted"
        )
    return report(None)


def _fast(
    station: str, events: Iterable[EventRecord], heads: Mapping[int, str]
) -> tuple[int, int, int, str | None]:
    state = WalkState()
    problem = walk_events(station, events, heads, state) or missing_signed_events(heads, state)
    return state.count, state.signed, state.last_signed, problem


def _outcome(judge: Any, *args: Any) -> object:
    try:
        return judge(*args)
    except Exception as exc:  # the same refusal counts as the same outcome
        return type(exc).__name__


EVENT = st.fixed_dictionaries(
    {
        "at": TEXT,
        "operator": TEXT,
        "action": TEXT,
        "device": st.none() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
        "payload": TEXT,
    }
)


@st.composite
def chains(draw: st.DrawFn) -> tuple[str, list[EventRecord], dict[int, str]]:
    """A valid chain of a station, then maybe one change a forger or a broken bundle makes."""
    station = draw(TEXT)
    events: list[EventRecord] = []
    prev = GENESIS
    for seq, fields in enumerate(draw(st.lists(EVENT, min_size=1, max_size=5)), start=1):
        digest = event_hash(station=station, seq=seq, prev=prev, **fields)
        events.append(
            EventRecord(
                station,
                seq,
                fields["at"],
                fields["operator"],
                fields["action"],
                fields["device"],
                fields["payload"],
                prev,
                digest,
            )
        )
        prev = digest
    heads = {ev.seq: ev.hash for ev in events if draw(st.booleans())}
    change = draw(st.sampled_from(["none", "field", "drop", "swap", "head", "beyond"]))
    i = draw(st.integers(min_value=0, max_value=len(events) - 1))
    if change == "field":
        name = draw(st.sampled_from(EventRecord._fields))
        events[i] = events[i]._replace(**{name: draw(ODD)})
    elif change == "drop":
        del events[i]
    elif change == "swap" and len(events) > 1:
        j = (i + 1) % len(events)
        events[i], events[j] = events[j], events[i]
    elif change == "head":
        heads[events[i].seq] = draw(TEXT)
    elif change == "beyond":
        heads[len(events) + draw(st.integers(min_value=1, max_value=3))] = "0" * 64
    return station, events, heads


@settings(max_examples=400)
@given(chains())
def test_fast_walk_judges_as_the_plain_walk(chain: tuple[str, list[EventRecord], dict]) -> None:
    station, events, heads = chain
    assert _outcome(_fast, station, events, heads) == _outcome(_reference, station, events, heads)


def test_values_the_inline_encoder_leaves_to_hash_event() -> None:
    # Each passes the walk only if hashed as RFC 8785 would: a bool is not an integer there,
    # 2**53 is past its safe range, another station's name is not the one written once.
    for change in ({"device": 2**53 + 1}, {"device": True}, {"station": "other"}, {}):
        fields: dict[str, Any] = dict(
            station="ST1", at="2026-11-30T10:00:00Z", operator="op", action="a", device=None
        )
        fields.update(change)
        fields["payload"] = '{"x":"\\u001f é \\\\ \\""}'
        try:
            digest = event_hash(seq=1, prev=GENESIS, **fields)
        except Exception:
            continue  # RFC 8785 refuses the value itself: nothing to walk
        ev = EventRecord(
            fields["station"],
            1,
            fields["at"],
            fields["operator"],
            fields["action"],
            fields["device"],
            fields["payload"],
            GENESIS,
            digest,
        )
        assert _fast("ST1", [ev], {1: digest}) == (1, 1, 1, None)


def test_a_resumed_walk_ends_where_one_walk_ends() -> None:
    # A walk started from a stored link with characters JSON escapes hashes it escaped.
    prev = 'odd "link"\n'
    events, state = [], WalkState(expected=5, prev=prev)
    for seq in range(5, 8):
        digest = event_hash(
            station="S",
            seq=seq,
            at="t",
            operator="o",
            action="a",
            device=seq,
            payload="{}",
            prev=prev,
        )
        events.append(EventRecord("S", seq, "t", "o", "a", seq, "{}", prev, digest))
        prev = digest
    assert walk_events("S", events, {6: events[1].hash}, state) is None
    assert (state.expected, state.prev, state.count, state.signed, state.last_signed) == (
        8,
        prev,
        3,
        1,
        6,
    )
