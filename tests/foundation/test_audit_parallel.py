"""`audit verify` with worker processes reports what one walk in this process reports: the same
first problem, wherever it lies (in a worker's range, at the seam between ranges), and the same
counts; a worker that fails or sees another log than the caller's transaction changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future

import pytest
from sqlalchemy import text

from wipe_station.audit import log as audit
from wipe_station.audit import store
from wipe_station.audit.store import verify_database
from wipe_station.audit.verify import ChainReport
from wipe_station.context import StationContext

ACTOR = audit.Actor("tech1", 1, "technician")
EVENTS = 299  # with station.registered, 300: the worker walks #151-#300, checkpoints at 64 ...


def _append(station: StationContext, n: int) -> None:
    with station.session() as s:
        audit.append_many(
            s,
            station.identity,
            ACTOR,
            [audit.Pending("test.event", {"i": i}, device_id=i % 7 or None) for i in range(n)],
        )


def _reports(station: StationContext, workers: int) -> list[ChainReport]:
    with station.session() as s:
        return verify_database(s, station.identity, workers=workers)


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each worker's answer was used (True) or its range walked here again (False)."""
    answers: list[bool] = []
    take = store._Helper.take

    def spy(self: store._Helper, *args: object) -> bool:
        answers.append(take(self, *args))  # type: ignore[arg-type]
        return answers[-1]

    monkeypatch.setattr(store._Helper, "take", spy)
    yield answers


def test_an_intact_chain_is_walked_in_two_processes(
    station: StationContext, taken: list[bool]
) -> None:
    _append(station, EVENTS)
    (report,) = _reports(station, workers=1)
    assert report.ok, report.problem
    assert taken == [True]
    assert (report.events, report.checkpoints, report.last_signed_seq) == (300, 4, 256)
    assert _reports(station, workers=0) == [report]


# Each tampering, and the SQL that undoes it; events #1-#150 are walked here, #151-#300 by the
# worker.
TAMPERING = [
    ("payload in the worker's range", "payload = payload || ' '", 201),
    ("operator in this process's range", "operator = 'someone'", 20),
    ("prev link at the seam", "prev_hash = '" + "0" * 64 + "'", 151),
    ("hash at the seam", "hash = '" + "1" * 64 + "'", 150),
    ("checkpointed event's hash", "hash = '" + "2" * 64 + "'", 192),
]


def test_the_first_problem_is_named_as_one_walk_names_it(
    station: StationContext, taken: list[bool]
) -> None:
    _append(station, EVENTS)
    for name, change, seq in TAMPERING:
        where = f"WHERE station_id = '{station.station_id}' AND seq = {seq}"
        with station.engine.begin() as conn:
            before = conn.execute(text(f"SELECT * FROM audit_events {where}")).mappings().one()
            conn.execute(text(f"UPDATE audit_events SET {change} {where}"))
        try:
            (serial,) = _reports(station, workers=0)
            (parallel,) = _reports(station, workers=1)
            assert not serial.ok, name
            assert parallel == serial, name
        finally:
            sets = ", ".join(f"{k} = :{k}" for k in before if k != "id")
            with station.engine.begin() as conn:
                conn.execute(text(f"UPDATE audit_events SET {sets} {where}"), dict(before))
    assert _reports(station, workers=1)[0].ok


@pytest.mark.parametrize("deleted", ["seq = 150", "seq = 151", "seq > 140", "seq > 290"])
def test_deleted_events_are_named_as_one_walk_names_them(
    station: StationContext, deleted: str
) -> None:
    _append(station, EVENTS)
    with station.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_events WHERE {deleted}"))
    (serial,) = _reports(station, workers=0)
    assert not serial.ok
    assert _reports(station, workers=1) == [serial]


def test_a_failed_worker_leaves_its_range_to_this_process(
    station: StationContext, taken: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    _append(station, EVENTS)
    monkeypatch.setattr(store, "_WORKER_COMMAND", ["false"])
    (report,) = _reports(station, workers=1)
    assert report.ok and report.events == 300
    assert taken == [False]


def test_a_transaction_that_wrote_is_verified_in_this_process(
    station: StationContext, taken: list[bool]
) -> None:
    # A worker reads the committed log: in a transaction that wrote to the log before the
    # verify, only this connection sees what it wrote, so no worker is used.
    _append(station, EVENTS)
    with station.session() as s:
        for i in range(3):
            audit.append(s, station.identity, ACTOR, "test.uncommitted", {"i": i})
        (report,) = verify_database(s, station.identity, workers=1)
        s.execute(
            text("UPDATE audit_events SET operator = 'x' WHERE seq = 250 AND station_id = :s"),
            {"s": station.station_id},
        )
        (changed,) = verify_database(s, station.identity, workers=1)
    assert report.ok and report.events == 303
    assert changed.problem is not None and changed.problem.startswith("event #250 ")
    assert taken == []


@pytest.mark.parametrize("field", [1, 2])  # the range's last hash, its count
def test_an_answer_that_differs_from_the_transaction_is_not_used(
    station: StationContext, taken: list[bool], monkeypatch: pytest.MonkeyPatch, field: int
) -> None:
    # Should a worker see another log than this transaction, its answer does not fit the
    # transaction's count or last hash, and the range is walked here.
    _append(station, EVENTS)
    start = store._Helper.__init__

    def altered(self: store._Helper, *args: object) -> None:
        start(self, *args)  # type: ignore[arg-type]
        out, err = self._answer.result()
        answer = json.loads(out)
        answer["state"][field] = "f" * 64 if field == 1 else answer["state"][field] - 1
        done: Future[tuple[bytes, bytes]] = Future()
        done.set_result((json.dumps(answer).encode(), err))
        self._answer = done

    monkeypatch.setattr(store._Helper, "__init__", altered)
    (report,) = _reports(station, workers=1)
    assert taken == [False]
    assert report.ok and report.events == 300
