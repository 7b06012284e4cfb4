"""The depot's PostgreSQL goes away and comes back, or two transactions deadlock: the engine's
writes wait and are tried again for a bounded time, the station says what happened in one line,
and work goes on; past the bound the phone fails with the real reason."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from tests.accidents.bench import facts
from tests.accidents.pgproxy import Relay
from wipe_station import settings
from wipe_station.audit.log import Actor
from wipe_station.context import StationContext, open_station
from wipe_station.errors import DatabaseUnavailable
from wipe_station.orchestrator import records
from wipe_station.orchestrator.records_thread import RecordsThread

ANNA = Actor("anna", None, "technician")


@pytest.fixture
def relayed(home: Path, pg_url: str) -> Iterator[tuple[StationContext, Relay]]:
    relay = Relay()
    relay.up()
    url = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")
    ctx = open_station(home, url)
    try:
        yield ctx, relay
    finally:
        relay.down()
        ctx.engine.dispose()


def test_an_outage_makes_the_write_wait_and_then_go_on(
    relayed: tuple[StationContext, Relay],
) -> None:
    ctx, relay = relayed
    told: list[str] = []
    writes = RecordsThread(ctx, on_outage=told.append, retry_s=30)
    relay.down()
    threading.Timer(1.5, relay.up).start()  # the server is back 1.5 s later
    started = time.monotonic()
    found = asyncio.run(
        writes.run(records.identified, ctx, ANNA, facts("SEROUTAGE"), "1-1", [], emulated=True)
    )
    writes.close()
    assert found.job_id is not None and time.monotonic() - started >= 1.4
    assert len(told) == 2, told
    assert "refuses connections" in told[0] or "lost the connection" in told[0], told
    assert "trying again for up to 30 s" in told[0]
    assert told[1] == "the database answers again"


def test_past_the_bound_the_write_fails_saying_why(
    relayed: tuple[StationContext, Relay],
) -> None:
    ctx, relay = relayed
    told: list[str] = []
    writes = RecordsThread(ctx, on_outage=told.append, retry_s=1)
    relay.down()
    with pytest.raises(DatabaseUnavailable, match="refuses connections") as caught:
        asyncio.run(
            writes.run(records.identified, ctx, ANNA, facts("SERDOWN"), "1-1", [], emulated=True)
        )
    writes.close()
    assert caught.value.kind == "refused"
    assert told[-1].startswith("gave up: ")


def test_a_deadlock_is_named_and_tried_again(home: Path, pg_url: str) -> None:
    """PostgreSQL only: SQLite serialises writers (BEGIN IMMEDIATE) and cannot deadlock."""
    station = open_station(home, pg_url)
    with station.session() as s:
        settings.put(s, "depot.location", "A")
        settings.put(s, "depot.phone", "B")
    both_hold = threading.Barrier(2, timeout=10)
    attempts: list[int] = []

    def unit() -> None:
        with station.session() as s:
            s.exec(text("SET LOCAL deadlock_timeout = '50ms'"))  # this side is the victim
            s.exec(text("UPDATE settings SET value = 'A1' WHERE key = 'depot.location'"))
            attempts.append(1)
            if len(attempts) == 1:
                both_hold.wait()
            s.exec(text("UPDATE settings SET value = 'B1' WHERE key = 'depot.phone'"))

    def other() -> None:
        with psycopg.connect(station.db_url.replace("+psycopg", "")) as conn:
            conn.execute("SET deadlock_timeout = '5s'")
            conn.execute("UPDATE settings SET value = 'B2' WHERE key = 'depot.phone'")
            both_hold.wait()
            conn.execute("UPDATE settings SET value = 'A2' WHERE key = 'depot.location'")

    told: list[str] = []
    writes = RecordsThread(station, on_outage=told.append, retry_s=30)
    rival = threading.Thread(target=other)
    rival.start()
    asyncio.run(writes.run(unit))
    rival.join(timeout=30)
    writes.close()
    station.engine.dispose()
    assert len(attempts) == 2  # undone by the deadlock once, then done
    assert "deadlock" in told[0] and told[1] == "the database answers again"


def test_the_engine_says_the_database_wait_under_its_own_title(
    relayed: tuple[StationContext, Relay],
) -> None:
    """The wait is the database's notice ("Database: waiting …"), not one about iPhones: a
    lab phone plugged in while the server is away waits, and is erased when it is back."""
    from drivers.emulated.android.lab import AndroidLab
    from wipe_station.orchestrator.engine import Engine

    ctx, relay = relayed
    told: list[tuple[str, str]] = []
    lab = AndroidLab()
    try:
        lab.attach("pixel-8-clean", port_path="1-1", tcp_port=None, zero_delay=True)
        engine = Engine(
            ctx,
            ANNA,
            android_backend=lab.bus.backend(),
            emulated=True,
            on_notice=lambda about, text: told.append((about, text)),
        )
        relay.down()
        threading.Timer(1.5, relay.up).start()

        async def scenario() -> str:
            view = await engine.run_android("1-1")
            await engine.close()
            return view.state

        assert asyncio.run(scenario()) == "certified"
    finally:
        lab.close()
    assert told[0][0] == "Database" and told[0][1].startswith("Database: waiting … "), told
    assert told[-1] == ("Database", "Database: the database answers again")
