"""Start-up is recovery: the one way a station that erases phones starts and stops.

The real station's UI, `demo` (UI or headless) and every test of them go through `start_station`
and `StartedStation.stop`; `demo` only adds the lab. In order:

1. the home is locked (one station process per home; a second is refused, naming the first);
2. the database is opened, migrated and checked: it must be this station's (numbering.py), whole
   (`PRAGMA quick_check` on SQLite) and its audit chain must verify from the last signed
   checkpoint a verification passed, else nothing is certified;
3. what a previous process left behind is settled (`recover`): erasures in flight become
   INTERRUPTED, open jobs are closed, verified erasures get their certificate.

Stopping settles the same way, signs the chain head and releases the lock. Nothing here imports
a UI or the lab.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from sqlmodel import col, select

from wipe_station.audit import log as audit
from wipe_station.context import StationContext, open_station
from wipe_station.db.integrity import describe_damage, sqlite_damage
from wipe_station.db.models import Device, WipeJob
from wipe_station.errors import StationError
from wipe_station.lifecycle import IN_FLIGHT, DeviceState
from wipe_station.paths import home_path, station_home
from wipe_station.timeutil import utcnow

LOCK_FILE = "station.lock"
# Exit statuses of a station stopped by a signal, after a clean stop (README, udev/ unit).
EXIT_SIGHUP = 129
EXIT_SIGINT = 130
EXIT_SIGTERM = 143

S = DeviceState


class HomeLocked(StationError):
    pass


class HomeLock:
    """An exclusive `flock` on ``<home>/station.lock``, held while the station runs. The kernel
    drops it when the process ends, however it ends: a crash or power cut leaves no stale lock."""

    def __init__(self, home: Path) -> None:
        self.path = home / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise HomeLocked(
                f"another Wipe Station process (pid {holder}) is running on {self.path.parent}: "
                "one station per home. Use that one, stop it first, or give this one its own "
                "home with --home DIR"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None


@dataclass
class Recovery:
    """What start-up (or stopping) settled."""

    interrupted: list[int] = field(default_factory=list)  # device ids
    jobs_closed: int = 0
    certified: list[str] = field(default_factory=list)  # numbers issued for verified erasures
    held: list[str] = field(default_factory=list)  # serials waiting for `certificate release`
    not_certified: list[str] = field(default_factory=list)  # "serial: why"

    def lines(self) -> list[str]:
        out = []
        if self.interrupted:
            n = len(self.interrupted)
            out.append(
                f"{n} erasure{'s' if n != 1 else ''} cut off last time: now interrupted; "
                "plug the phone in again: certified if it reports a reset, else erased again "
                "(or it waits for a technician's decision)"
            )
        if self.certified:
            out.append(
                f"certified {len(self.certified)} verified erasure(s) left without a "
                f"certificate: {', '.join(self.certified)}"
            )
        if self.held:
            out.append(
                "waiting for a supervisor (wipe-station certificate release SERIAL): "
                + ", ".join(self.held)
            )
        out += [f"not certified: {line}" for line in self.not_certified]
        return out


def free_space_warning(home: Path) -> str | None:
    """One line when the home's disk has less free space than WIPE_STATION_MIN_FREE_MB (default
    200): the database, the number ledger and the printed PDFs all live there, and a full disk
    stops certificates. Checked at start and before each phone's job (a statvfs, no I/O)."""
    try:
        need_mb = int(os.environ.get("WIPE_STATION_MIN_FREE_MB", "200"))
    except ValueError:
        need_mb = 200
    try:
        free_mb = shutil.disk_usage(home).free // (1024 * 1024)
    except OSError:
        return None
    if free_mb >= need_mb:
        return None
    return (
        f"only {free_mb} MB free on the disk of {home} (below {need_mb} MB): free space "
        "before certificates can no longer be written"
    )


def integrity_problem(ctx: StationContext) -> str | None:
    """Why the station must not certify on this database, or None: SQLite pages that fail
    `PRAGMA quick_check`, or an audit chain that does not verify."""
    from wipe_station.audit import resume
    from wipe_station.audit.store import verify_database

    damage = sqlite_damage(ctx.db_url)
    if damage:
        return describe_damage(ctx.db_url, damage)
    # From the last signed checkpoint a verification on this home passed, as `audit verify`
    # does: five years of one station's chain took seconds at every start (issue 30). A change
    # before that checkpoint is `audit verify --full`'s to find (docs/decisions.md).
    marks = resume.load(ctx.home, ctx.db_url)
    with ctx.session() as session:
        reports = verify_database(session, ctx.identity, only=ctx.station_id, resume=marks)
    for report in reports:
        if not report.ok:
            return f"the audit chain does not verify ({report.summary()})"
    resume.save(ctx.home, ctx.db_url, reports)
    return None


def recover(ctx: StationContext) -> Recovery:
    """Settle what a previous process (or this one, stopping) left: every erasure in flight
    becomes INTERRUPTED (audited), every job still open is closed, every verified erasure that
    may be certified is. Each phone in its own transaction: one that cannot be settled does not
    keep the others back."""
    from wipe_station.orchestrator.records import interrupt_in_flight

    found = Recovery()
    found.interrupted = interrupt_in_flight(ctx, audit.SYSTEM_ACTOR)
    found.jobs_closed = _close_open_jobs(ctx)
    _certify_verified(ctx, found)
    return found


def _close_open_jobs(ctx: StationContext) -> int:
    """Jobs left open on phones no longer in flight (stopped while waiting for approval, or
    after the blocker check): closed as stopped, the phone keeps its state."""
    with ctx.session() as s:
        rows = s.exec(
            select(WipeJob, Device)
            .join(Device, col(Device.id) == WipeJob.device_id)
            .where(col(WipeJob.ended_at).is_(None))
            .where(WipeJob.station_id == ctx.station_id)
        ).all()
        closed = 0
        for job, dev in rows:
            if S(dev.state) in IN_FLIGHT:
                continue  # interrupt_in_flight's (a previous step of this recovery)
            job.ended_at, job.outcome = utcnow(), "stopped"
            job.reason = "the station stopped before the erasure"
            s.add(job)
            closed += 1
        return closed


def _certify_verified(ctx: StationContext, found: Recovery) -> None:
    from wipe_station.orchestrator.records import certify_verified

    with ctx.session() as s:
        rows = s.exec(
            select(Device.id, Device.serial)
            .where(Device.state == S.VERIFIED.value)
            .where(
                select(WipeJob.id)
                .where(WipeJob.device_id == Device.id, WipeJob.station_id == ctx.station_id)
                .exists()
            )
            .order_by(col(Device.id))
        ).all()
    for device_id, serial in rows:
        try:
            number = certify_verified(ctx, device_id or 0)
        except StationError as exc:
            found.not_certified.append(f"{serial}: {exc}")
            continue
        if number is None:
            found.held.append(serial)
        else:
            found.certified.append(number)


@dataclass
class StartedStation:
    """A running station: its context, the lock on its home, and what start-up settled."""

    ctx: StationContext
    lock: HomeLock
    recovery: Recovery
    stopped: bool = False

    def lines(self) -> list[str]:
        """What start-up settled, and a warning if the disk is nearly full."""
        low = free_space_warning(self.ctx.home)
        return self.recovery.lines() + ([f"warning: {low}"] if low else [])

    def stop(self) -> Recovery | None:
        """Settle what this process cuts off, sign the chain head, release the home. Safe to
        call twice; a database that does not answer still releases the lock."""
        if self.stopped:
            return None
        self.stopped = True
        try:
            try:
                return recover(self.ctx)
            finally:
                self.ctx.close()
        finally:
            self.lock.release()


def start_station(
    home: Path | None = None, db_url: str | None = None, *, create: bool = False
) -> StartedStation:
    """Lock the home, open and check the database, settle what the last process left."""
    if create:
        where = station_home(home)
    else:
        where = home_path(home)
        if not where.is_dir():
            from wipe_station.errors import NoStation

            raise NoStation(where)
    lock = HomeLock(where)
    lock.acquire()
    try:
        ctx = open_station(where, db_url, create=create)
    except BaseException:
        lock.release()
        raise
    try:
        problem = integrity_problem(ctx)
        if problem is not None:
            raise StationError(
                f"{problem}: the station certifies nothing on it. `wipe-station audit verify` "
                "says where; restore the database from its backup"
            )
        recovery = recover(ctx)
    except BaseException:
        ctx.engine.dispose()
        lock.release()
        raise
    return StartedStation(ctx, lock, recovery)


@contextlib.contextmanager
def stop_signals(on_stop: Callable[[int], None]) -> Iterator[list[int]]:
    """While inside: SIGTERM, SIGINT and SIGHUP call ``on_stop(signum)`` once (stop taking work, let
    writes finish) instead of killing the process; a second signal of either kind ends it at
    once. Yields the list of signals received, for the exit status (`exit_status`)."""
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        if received:
            os._exit(128 + signum)  # asked twice: the records are consistent at every commit
        received.append(signum)
        on_stop(signum)

    stops = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)  # SIGHUP: the terminal went away
    previous = {sig: signal.signal(sig, handler) for sig in stops}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def exit_status(received: list[int]) -> int:
    """0 when nothing stopped the station; after a clean stop 128 + the signal: 130 (SIGINT),
    143 (SIGTERM), 129 (SIGHUP, the terminal closed)."""
    return 128 + received[0] if received else 0
