"""The engine's record writes: one thread, in the order asked, committed in groups.

SQLite takes one writer at a time and every commit waits for the disk (`synchronous=FULL`, about
5 ms here), so 64 phones' steps queued behind each other's commits: 32 iPhones trusting the
station at once waited a third of a second for their records before the erase could start (issue
19). Writes that queue up while another group runs are taken together as one transaction with
one commit (group commit, as database servers do for their own log): each write is a savepoint
of it (`StationContext.group`). If one fails, the group is undone and its writes run one by one,
each in its own transaction, so every caller gets what it would have got alone; no caller hears
of success before its commit has returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import queue
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from wipe_station.context import StationContext
from wipe_station.errors import DatabaseUnavailable

# Enough to take a whole burst of steps in a few commits, few enough that the first caller of
# a group does not wait long for the last one's work.
MAX_GROUP = 16


@dataclass
class _Write:
    call: Callable[[], Any]
    future: asyncio.Future[Any]  # of the caller's loop


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return  # the phone's job was cancelled meanwhile; what was written stays written
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def retry_seconds() -> float:
    """How long a write waits for a database that went away (WIPE_STATION_DB_RETRY, seconds;
    default 60) before its phone is failed with the reason."""
    try:
        return max(0.0, float(os.environ.get("WIPE_STATION_DB_RETRY", "60")))
    except ValueError:
        return 60.0


class RecordsThread:
    def __init__(
        self,
        ctx: StationContext,
        max_group: int = MAX_GROUP,
        *,
        on_outage: Callable[[str], None] | None = None,
        retry_s: float | None = None,
    ) -> None:
        self.ctx = ctx
        self.max_group = max_group
        # Told once when the database stops answering (and once when it is back), in one line.
        self.on_outage = on_outage
        self.retry_s = retry_seconds() if retry_s is None else retry_s
        self._pending: queue.SimpleQueue[_Write] = queue.SimpleQueue()
        # An executor, not a bare thread: its worker finishes what was asked before the
        # interpreter exits.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ws-records")
        self.groups = 0  # transactions committed for more than one write (for tests and figures)

    async def run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` on the records thread, with the caller's context variables
        (as `asyncio.to_thread` runs it); ``fn`` opens its transaction with ``ctx.session()``."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        self._pending.put(_Write(call, future))
        self._executor.submit(self._drain)
        return await future

    def close(self) -> None:
        """Wait for the writes already asked to commit (or fail): a station stopping lets its
        writes in flight finish before it settles what they leave."""
        self._executor.shutdown(wait=True)

    def _drain(self) -> None:
        writes: list[_Write] = []
        while len(writes) < self.max_group:
            try:
                writes.append(self._pending.get_nowait())
            except queue.Empty:
                break
        if not writes:
            return  # an earlier drain took this one's write along
        outcomes = self._grouped(writes) if len(writes) > 1 else None
        if outcomes is None:
            # Alone, or a group in which one write failed: each in its own transaction, exactly
            # as if it had never met the others (that write's objects, undone with its
            # savepoint, may be another's too).
            outcomes = [self._patient(w) for w in writes]
        for write, (ok, value) in zip(writes, outcomes, strict=True):
            write.future.get_loop().call_soon_threadsafe(_settle, write.future, ok, value)

    def _patient(self, write: _Write) -> tuple[bool, Any]:
        """One write in its own transaction; while the database is away (connection refused or
        lost, locked, deadlock) and the commit was not reached, tried again with backoff for
        up to ``retry_s``: the phone waits instead of failing."""
        outcome = _outcome(write)
        if outcome[0] or not _retryable(outcome[1]):
            return outcome
        deadline = time.monotonic() + self.retry_s
        delay = 0.25
        self._tell(f"waiting … {outcome[1]}; trying again for up to {self.retry_s:.0f} s")
        while not outcome[0] and _retryable(outcome[1]) and time.monotonic() < deadline:
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 5.0)
            outcome = _outcome(write)
        self._tell("the database answers again" if outcome[0] else f"gave up: {outcome[1]}")
        return outcome

    def _tell(self, message: str) -> None:
        if self.on_outage is not None:
            with contextlib.suppress(Exception):  # telling must never cost a write
                self.on_outage(message)

    def _grouped(self, writes: list[_Write]) -> list[tuple[bool, Any]] | None:
        """The writes' outcomes committed as one transaction, or None if one of them failed
        (then nothing of the group was written)."""
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.ctx.group():
                for write in writes:
                    outcome = _outcome(write)
                    if not outcome[0]:
                        raise _Undo
                    outcomes.append(outcome)
        except _Undo:
            return None
        except BaseException as exc:
            # The commit failed. Not tried again: a commit whose answer was lost may have
            # happened, and a second try would write everything twice.
            return [(False, exc)] * len(writes)
        self.groups += 1
        return outcomes


class _Undo(Exception):
    """Rolls a group back so its writes can run one by one."""


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, DatabaseUnavailable) and exc.retryable


def _outcome(write: _Write) -> tuple[bool, Any]:
    try:
        return True, write.call()
    except BaseException as exc:  # whatever it is, its caller hears of it instead of waiting
        return False, exc
