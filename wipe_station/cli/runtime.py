"""What every CLI command shares: where the station lives, which database, who is signed in."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from wipe_station import dates
from wipe_station.context import StationContext, open_station
from wipe_station.db.models import Operator
from wipe_station.errors import IntegrityFailure, SignInFailed, StationError
from wipe_station.operators import authorize, sign_in
from wipe_station.paths import home_path
from wipe_station.roles import Permission
from wipe_station.safe_text import visible

if TYPE_CHECKING:
    from wipe_station import printing
    from wipe_station.startup import StartedStation

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Runtime:
    home: Path | None
    db_url: str | None
    operator_name: str | None
    _station: StationContext | None = field(default=None, repr=False)
    _started: StartedStation | None = field(default=None, repr=False)
    # Whether this process ran the station (the UI, the demo): `cli.main.run` lets such a
    # process leave the ordinary way.
    ran_station: bool = field(default=False, repr=False)

    def station(self, *, create: bool = False) -> StationContext:
        """The station in the home. Only the commands meant to set one up (``users add`` on an
        empty home, ``station init``, ``demo``) pass ``create=True``; every other command on a
        home without a station fails naming the home, instead of making a second station
        whose key no auditor was given."""
        if self._station is None:
            self._station = open_station(self.home, self.db_url, create=create)
        return self._station

    def start(self, *, create: bool = False) -> StationContext:
        """The station as a running station (the UI, `demo`): the home locked, the database
        checked, what the last process left settled (`wipe_station.startup`), each line of
        what was settled said on stderr. `close` stops it the same way."""
        from wipe_station.startup import start_station

        if self._started is None:
            assert self._station is None, "start the station before opening it otherwise"
            self.ran_station = True
            self._started = start_station(self.home, self.db_url, create=create)
            self._station = self._started.ctx
            for line in self._started.lines():
                click.echo(line, err=True)
        return self._started.ctx

    def operator(self, permission: Permission) -> Operator:
        """Sign in (name from --operator / WIPE_STATION_OPERATOR, PIN from WIPE_STATION_PIN or a
        prompt) and check the role grants ``permission``."""
        ctx = self.station()
        name = self.operator_name
        if not name:
            if not sys.stdin.isatty():
                raise SignInFailed("sign in with --operator NAME or WIPE_STATION_OPERATOR")
            name = click.prompt("Operator")
        pin = os.environ.get("WIPE_STATION_PIN")
        if pin is None:
            if not sys.stdin.isatty():
                raise SignInFailed("no PIN: set WIPE_STATION_PIN or run the command in a terminal")
            pin = click.prompt(f"PIN for {name}", hide_input=True)
        op = sign_in(ctx, name, pin)
        authorize(ctx, op, permission)
        return op

    def close(self) -> None:
        if self._started is not None:
            started, self._started, self._station = self._started, None, None
            settled = started.stop()
            for line in settled.lines() if settled is not None else []:
                click.echo(line, err=True)
        elif self._station is not None:
            self._station.close()
            self._station = None


pass_runtime = click.make_pass_decorator(Runtime)


T = TypeVar("T")


class NotVerifiableCopy(IntegrityFailure):
    """A copy without signed data (docs/verification.md: NOT VERIFIABLE, exit 3)."""

    exit_code = 3


def verify_file(pdf: Path, public_key: Path, check: Callable[[bytes, bytes], T]) -> T:
    """``check(pdf bytes, key PEM)`` of a signed PDF someone hands in: an unreadable file is a
    usage error (exit 2), a refused one ``FORGED: <file>: <why>`` (exit 1), a copy without
    signed data ``NOT VERIFIABLE: <file>: <why>`` (exit 3)."""
    from certificates.verify import NotVerifiable, VerificationError

    try:
        data, pem = pdf.read_bytes(), public_key.read_bytes()
    except OSError as exc:
        raise StationError(f"cannot read {exc.filename}: {exc.strerror}") from exc
    try:
        return check(data, pem)
    except NotVerifiable as exc:
        raise NotVerifiableCopy(
            f"NOT VERIFIABLE: {visible(pdf.name)}: {visible(str(exc))}"
        ) from exc
    except VerificationError as exc:
        raise IntegrityFailure(f"FORGED: {visible(pdf.name)}: {visible(str(exc))}") from exc


def fail(message: str) -> StationError:
    return StationError(message)


def iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """click callback: an optional YYYY-MM-DD option as a date in the range the station handles
    (``dates.check``), with a clear error."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{visible(value)!r} is not a date (YYYY-MM-DD)") from exc
    try:
        return dates.check(day)
    except StationError as exc:
        raise click.BadParameter(str(exc)) from exc


def _forced(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta[_FORCE] = value
    return value


_FORCE = "wipe_station.force_output"


def check_output(path: Path) -> None:
    """Refuse an output path inside the station's key directory or on its database: one
    ``-o ~/.local/share/wipe-station/keys/station.key`` would end every later command."""
    ctx = click.get_current_context(silent=True)
    rt = ctx.find_object(Runtime) if ctx is not None else None
    if rt is None:
        return
    home = home_path(rt.home).resolve()
    target = path.expanduser().resolve()
    protected = [home / "keys", *(home / f"station.db{x}" for x in ("", "-wal", "-shm"))]
    for place in protected:
        if target == place or place in target.parents:
            raise StationError(
                f"refusing to write {visible(path)}: it is the station's own {place.name}"
            )


def _force() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx.meta.get(_FORCE)) if ctx is not None else False


def claim_output(path: Path) -> None:
    """For a writer that creates ``path`` itself (the audit bundle): the same refusals as
    ``write_file``. The process umask (077, set by the CLI) keeps the new file private."""
    check_output(path)
    if (path.exists() or path.is_symlink()) and not _force():
        raise StationError(f"{visible(path)} exists: add --force to replace it")


def write_file(path: Path, data: bytes | str | Iterable[bytes | str]) -> None:
    """Write an output file readable by its owner only (0600, whatever the umask), or fail
    with one line naming the path and the reason. An existing file is replaced only with
    ``--force``; the station's keys and database never. ``data`` may come in pieces (an export
    streamed as it is read). Written whole or not at all (`atomic.write_atomically`): a full
    disk or a failed piece leaves no half file behind."""
    from wipe_station.atomic import write_atomically

    check_output(path)
    pieces = [data] if isinstance(data, bytes | str) else data
    raw = (p.encode("utf-8") if isinstance(p, str) else p for p in pieces)
    try:
        # Without --force an existing file (or a symlink planted there) is never replaced.
        write_atomically(path, raw, replace=_force())
    except FileExistsError as exc:
        raise StationError(f"{visible(path)} exists: add --force to replace it") from exc
    except OSError as exc:
        raise StationError(f"cannot write {visible(path)}: {exc.strerror}") from exc


def limit_option(f: F) -> F:
    """``--limit N`` for a listing: the newest N (50), 0 for all; the listing says how many
    there are in all."""
    return click.option(
        "--limit",
        type=click.IntRange(min=0),
        default=50,
        show_default=True,
        help="Show at most this many, newest first; 0 shows them all.",
    )(f)


def how_many(shown: int, total: int, what: str) -> str:
    """The line a `limit_option` listing ends with: how many it showed, of how many."""
    if shown < total:
        return f"the newest {shown} of {total} {what} (--limit 0 lists them all)"
    return f"{total} {what}"


def output_file(required: bool = True, help: str | None = None) -> Callable[[F], F]:
    """``-o/--output FILE`` and ``--force`` (replace FILE if it exists), for ``write_file``."""

    def decorate(f: F) -> F:
        f = click.option(
            "--force",
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_forced,
            help="Replace the output file if it exists.",
        )(f)
        return click.option(
            "-o",
            "--output",
            type=click.Path(path_type=Path, dir_okay=False),
            required=required,
            help=help or "File to write.",
        )(f)

    return decorate


output_option = output_file()


def print_option(f: F) -> F:
    """``--print [PRINTER]``: also send the written PDF to CUPS (the A4 printer the settings
    name, ``print.documents``, or PRINTER)."""
    return click.option(
        "--print",
        "print_to",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[PRINTER]",
        help="Print the PDF through CUPS: on PRINTER, or on the print.documents printer. "
        "Without -o the PDF is kept in the station's print folder (<home>/print).",
    )(f)


def output_or_print_folder(
    rt: Runtime, output: Path | None, print_to: str | None, name: str
) -> Path:
    """``-o FILE``, or with ``--print`` alone a new PDF in ``<home>/print`` (kept, as the UI
    keeps what it prints), named after ``name`` and the time, never replacing an older one."""
    if output is not None:
        return output
    if print_to is None:
        raise click.UsageError(
            "give -o FILE, or --print [PRINTER] (the PDF is kept in <home>/print)"
        )
    import re

    from wipe_station.printing import print_dir
    from wipe_station.timeutil import utcnow

    folder = print_dir(rt.station().home)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StationError(f"cannot make {visible(folder)}: {exc.strerror}") from exc
    stem = f"{re.sub(r'[^A-Za-z0-9._-]', '_', name)[:80]}-{utcnow():%Y%m%dT%H%M%S}"
    path, n = folder / f"{stem}.pdf", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.pdf"
    return path


def send_to_printer(
    rt: Runtime,
    path: Path,
    print_to: str | None,
    kind: printing.Kind = "documents",
) -> None:
    """After ``write_file``: print ``path`` when --print was given. A job that does not reach the
    printer is said in one line (the PDF stays written) and the command exits 1."""
    if print_to is None:
        return
    from wipe_station import printing

    if path.suffix.lower() != ".pdf":
        raise StationError(f"{visible(path.name)}: only a .pdf is printed")
    done = printing.print_file(rt.station(), path, kind, print_to or None)
    if not done.ok:
        click.echo(f"error: {done.describe()}", err=True)
        raise click.exceptions.Exit(1)
    click.echo(done.describe())
