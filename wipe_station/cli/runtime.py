"""What every CLI command shares: where the station lives, which database, who is signed in."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click

from wipe_station.context import StationContext, open_station
from wipe_station.db.models import Operator
from wipe_station.errors import SignInFailed, StationError
from wipe_station.operators import authorize, sign_in
from wipe_station.paths import station_home
from wipe_station.roles import Permission


@dataclass
class Runtime:
    home: Path | None
    db_url: str | None
    operator_name: str | None
    _station: StationContext | None = field(default=None, repr=False)

    def station(self) -> StationContext:
        if self._station is None:
            self._station = open_station(station_home(self.home), self.db_url)
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


def fail(message: str) -> StationError:
    return StationError(message)


def iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """click callback: an optional YYYY-MM-DD option as a date, with a clear error."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def write_file(path: Path, data: bytes | str) -> None:
    """Write an output file, or fail with one line naming the path and the reason."""
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8", newline="")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise StationError(f"cannot write {path}: {exc.strerror}") from exc


output_option = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File to write; .pdf, .csv or .json as the command allows.",
)
