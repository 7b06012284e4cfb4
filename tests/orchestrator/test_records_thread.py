"""Group commit on the engine's records thread: writes that queue up share one transaction. A group
with a failed write is undone and its writes run one by one; nobody hears of success before the
commit; a commit that fails leaves none of them written. On SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import event, func
from sqlmodel import Session, select

from wipe_station.audit import log as audit
from wipe_station.audit.store import verify_database
from wipe_station.context import StationContext
from wipe_station.db.models import AuditEvent
from wipe_station.errors import StationError
from wipe_station.orchestrator.records_thread import RecordsThread


@pytest.fixture
def ctx(station: StationContext) -> StationContext:
    return station


def note(ctx: StationContext, text: str) -> int:
    """A unit of work as the records functions are: its own `ctx.session()`."""
    with ctx.session() as s:
        return audit.append(s, ctx.identity, audit.SYSTEM_ACTOR, "test.note", {"text": text}).seq


def note_then_fail(ctx: StationContext, text: str) -> int:
    with ctx.session() as s:
        audit.append(s, ctx.identity, audit.SYSTEM_ACTOR, "test.note", {"text": text})
        raise StationError(f"{text}: refused after writing")


def notes(ctx: StationContext) -> list[str]:
    with ctx.session() as s:
        rows = s.exec(
            select(AuditEvent.payload)
            .where(AuditEvent.action == "test.note")
            .order_by(AuditEvent.seq)
        ).all()
    return [row.split('"text":"')[1].split('"')[0] for row in rows]


def chain_ok(ctx: StationContext) -> bool:
    with ctx.session() as s:
        (report,) = verify_database(s, ctx.identity)
    return report.ok


async def queued_behind_a_held_write(
    records: RecordsThread, writes: list[tuple[object, str]]
) -> list[object]:
    """Hold the records thread with one write so the others queue up, then let it go."""
    release = threading.Event()
    held = asyncio.ensure_future(records.run(release.wait, 10))
    await asyncio.sleep(0.05)  # the held write is running: the rest queue behind it
    tasks = [asyncio.ensure_future(records.run(fn, records.ctx, text)) for fn, text in writes]  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    release.set()
    assert await held is True
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_queued_writes_share_one_commit(ctx: StationContext) -> None:
    records = RecordsThread(ctx)
    commits: list[str] = []
    event.listen(ctx.engine, "commit", lambda conn: commits.append("commit"))
    writes = [(note, "a"), (note, "b"), (note, "c"), (note, "d")]
    results = asyncio.run(queued_behind_a_held_write(records, writes))
    assert commits == ["commit"]  # one for the four (the held write touched no database)
    assert records.groups == 1
    first = results[0]
    assert results == [first, first + 1, first + 2, first + 3]
    assert notes(ctx) == ["a", "b", "c", "d"]
    assert chain_ok(ctx)


def test_a_failed_write_undoes_its_group_and_each_runs_alone(ctx: StationContext) -> None:
    records = RecordsThread(ctx)
    commits: list[str] = []
    event.listen(ctx.engine, "commit", lambda conn: commits.append("commit"))
    writes = [(note, "a"), (note_then_fail, "b"), (note, "c"), (note, "d")]
    results = asyncio.run(queued_behind_a_held_write(records, writes))
    assert records.groups == 0 and commits == ["commit"] * 3  # a, c and d alone; b rolled back
    assert isinstance(results[1], StationError) and "b: refused" in str(results[1])
    first = results[0]
    assert [r for i, r in enumerate(results) if i != 1] == [first, first + 1, first + 2]
    assert notes(ctx) == ["a", "c", "d"]  # b's event was never committed
    assert chain_ok(ctx)  # no gap where b's event was


def test_nobody_hears_of_success_before_the_commit(ctx: StationContext) -> None:
    records = RecordsThread(ctx)
    order: list[str] = []
    event.listen(ctx.engine, "commit", lambda conn: order.append("commit"))

    async def run() -> None:
        release = threading.Event()
        held = asyncio.ensure_future(records.run(release.wait, 10))
        await asyncio.sleep(0.05)
        tasks = [asyncio.ensure_future(records.run(note, ctx, t)) for t in "xyz"]
        for task in tasks:
            task.add_done_callback(lambda _t: order.append("told"))
        await asyncio.sleep(0.05)
        release.set()
        await held
        await asyncio.gather(*tasks)

    asyncio.run(run())
    assert order == ["commit", "told", "told", "told"]


def test_a_failed_commit_leaves_none_of_the_group_written(ctx: StationContext) -> None:
    records = RecordsThread(ctx)
    before = notes(ctx)

    def refuse(session: Session) -> None:
        if getattr(refuse, "armed", False):
            raise StationError("the disk is full")

    event.listen(Session, "before_commit", refuse)
    try:

        async def run() -> list[object]:
            release = threading.Event()
            held = asyncio.ensure_future(records.run(release.wait, 10))
            await asyncio.sleep(0.05)
            tasks = [asyncio.ensure_future(records.run(note, ctx, t)) for t in ("p", "q")]
            await asyncio.sleep(0.05)
            refuse.armed = True  # type: ignore[attr-defined]
            release.set()
            await held
            return await asyncio.gather(*tasks, return_exceptions=True)

        results = asyncio.run(run())
    finally:
        event.remove(Session, "before_commit", refuse)
    assert all(isinstance(r, StationError) and "disk is full" in str(r) for r in results)
    assert notes(ctx) == before
    assert chain_ok(ctx)


def test_a_single_write_is_its_own_transaction(ctx: StationContext) -> None:
    records = RecordsThread(ctx)
    seq = asyncio.run(records.run(note, ctx, "alone"))
    assert notes(ctx)[-1] == "alone" and records.groups == 0
    with ctx.session() as s:
        assert s.exec(select(func.max(AuditEvent.seq))).one() == seq
