"""`bulk.Background` writes rows in a thread of its own while the caller builds the next ones:
in the order given, inside the caller's transaction, with a failure raised in the caller's
thread and nothing left half-written; `reserve_ids` gives the ids the rows then carry."""

from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest
from sqlmodel import select

from wipe_station.context import StationContext
from wipe_station.db import bulk, lengths
from wipe_station.db.models import Setting
from wipe_station.timeutil import utcnow

KEYS = ("key", "value")


def _settings(station: StationContext, prefix: str) -> list[tuple[str, str]]:
    with station.session() as s:
        rows = s.exec(select(Setting).where(Setting.key.startswith(prefix))).all()  # type: ignore[attr-defined]
        return sorted((r.key, r.value) for r in rows)


def _writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bulk-writer"]


def test_rows_are_written_in_the_callers_transaction(station: StationContext) -> None:
    with station.session() as s:
        with bulk.Background(s) as writer:
            for chunk in range(5):
                writer.insert(Setting, KEYS, [(f"t.{chunk}.{i}", str(i)) for i in range(300)])
        # Drained when the block ends: the session sees them, in its own transaction.
        assert len(s.exec(select(Setting).where(Setting.key.startswith("t."))).all()) == 1500  # type: ignore[attr-defined]
    assert len(_settings(station, "t.")) == 1500
    assert not _writers()


def test_a_failed_insert_is_raised_in_the_callers_thread_and_nothing_stays(
    station: StationContext,
) -> None:
    # The driver's own error: the writer runs on the driver's connection, not SQLAlchemy's.
    with (
        pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)) as failure,
        station.session() as s,
        bulk.Background(s) as writer,
    ):
        writer.insert(Setting, KEYS, [("dup.a", "1"), ("dup.b", "2")])
        writer.insert(Setting, KEYS, [("dup.a", "again")])  # the primary key, twice
        writer.insert(Setting, KEYS, [("dup.c", "after")])  # skipped
    assert "unique" in str(failure.value).lower() or "duplicate" in str(failure.value).lower()
    assert _settings(station, "dup.") == []
    assert not _writers()


def test_leaving_by_an_exception_discards_the_rest(station: StationContext) -> None:
    class Stop(Exception):
        pass

    with pytest.raises(Stop), station.session() as s, bulk.Background(s) as writer:
        for chunk in range(20):
            writer.insert(Setting, KEYS, [(f"gone.{chunk}.{i}", "x") for i in range(200)])
        raise Stop  # as Ctrl-C in the middle of an import
    assert _settings(station, "gone.") == []
    assert not _writers()
    # The connection went back to the pool fit for the next transaction.
    with station.session() as s, bulk.Background(s) as writer:
        writer.insert(Setting, KEYS, [("next.1", "y")])
    assert _settings(station, "next.") == [("next.1", "y")]


def test_a_value_too_long_is_refused_before_anything_is_queued(station: StationContext) -> None:
    with station.session() as s, bulk.Background(s) as writer:
        writer.insert(Setting, KEYS, [("long.ok", "fine")])
        with pytest.raises(lengths.TooLong, match=r"settings\.value is at most 500"):
            writer.insert(Setting, KEYS, [("long.bad", "x" * 501)])
    assert _settings(station, "long.") == [("long.ok", "fine")]


def test_a_drained_writer_takes_no_more(station: StationContext) -> None:
    with station.session() as s:
        writer = bulk.Background(s)
        writer.drain()
        with pytest.raises(RuntimeError, match="drained"):
            writer.insert(Setting, KEYS, [("late", "x")])


def test_reserved_ids_are_the_ids_rows_are_written_with(station: StationContext) -> None:
    from wipe_station.db.models import Customer

    with station.session() as s:
        before = s.exec(select(Customer.id)).all()
        with bulk.Background(s) as writer:
            ids = writer.reserve_ids(Customer, 3)
            writer.insert(
                Customer,
                ("id", "org_number", "name", "created_at"),
                [(i, f"90000000{n}", f"Reserved {n}", utcnow()) for n, i in enumerate(ids)],
            )
        assert len(set(ids)) == 3 and not set(ids) & set(before)
        # The next ids the database gives come after them.
        later = bulk.reserve_ids(s, Customer, 2)
        assert min(later) > max(ids)
    with station.session() as s:
        got = s.exec(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all()  # type: ignore[union-attr]
    assert sorted(got) == [(i, f"Reserved {n}") for n, i in enumerate(ids)]
