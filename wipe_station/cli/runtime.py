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

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Runtime:
    home: Path | None
    db_url: str | None
    operator_name: str | None
    _station: StationContext | None = field(default=None, repr=False)

    def station(self, *, create: bool = False) -> StationContext:
        """The station in the home. Only the commands meant to set one up (``users add`` on an
        empty home, ``station init``, ``demo``) pass ``create=True``; every other command on a
        home without a station fails naming the home, instead of making a second station
        whose key no auditor was given."""
        if self._station is None:
            self._station = open_station(self.home, self.db_url, create=create)
        return self._station

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
        if self._station is not None:
            self._station.close()
            self._station = None


pass_runtime = click.make_pass_decorator(Runtime)


T = TypeVar("T")


def verify_file(pdf: Path, public_key: Path, check: Callable[[bytes, bytes], T]) -> T:
    """``check(pdf bytes, key PEM)`` of a signed PDF someone hands in: an unreadable file is a
    usage error (exit 2), a refused one ``INVALID: <file>: <why>`` (exit 1)."""
    from certificates.verify import VerificationError

    try:
        data, pem = pdf.read_bytes(), public_key.read_bytes()
    except OSError as exc:
        raise StationError(f"cannot read {exc.filename}: {exc.strerror}") from exc
    try:
        return check(data, pem)
    except VerificationError as exc:
        raise IntegrityFailure(f"INVALID: {visible(pdf.name)}: {visible(str(exc))}") from exc


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
    ``--force``; the station's keys and database never. ``data`` may come in pieces (an
    export streamed as it is read); if a piece fails, the half-written file is removed."""
    check_output(path)
    force = _force()
    pieces = [data] if isinstance(data, bytes | str) else data
    # O_EXCL: without --force an existing file (or a symlink planted there) is never followed.
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError as exc:
        raise StationError(f"{visible(path)} exists: add --force to replace it") from exc
    except OSError as exc:
        raise StationError(f"cannot write {visible(path)}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)  # a replaced file keeps its old mode otherwise
            for piece in pieces:
                out.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise StationError(f"cannot write {visible(path)}: {exc.strerror}") from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise


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
        help="Also print the PDF through CUPS: on PRINTER, or on the print.documents printer.",
    )(f)


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
