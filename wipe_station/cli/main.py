"""The `wipe-station` command. Each command group lives in its own module."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from wipe_station import __version__, crash_log
from wipe_station.cli.runtime import Runtime
from wipe_station.errors import StationError
from wipe_station.safe_text import visible

# Command name -> "module:attribute". Loaded on first use, so `wipe-station station public-key`
# does not pay for importing Textual, reportlab and the phone stacks.
COMMANDS: dict[str, str] = {
    "station": "wipe_station.cli.station:station",
    "users": "wipe_station.cli.users:users",
    "audit": "wipe_station.cli.audit:audit",
    "lab": "wipe_station.cli.lab:lab",
    "udev": "wipe_station.cli.udev:udev",
    "certificate": "wipe_station.cli.certificate:certificate",
    "device": "wipe_station.cli.device:device",
    "demo": "wipe_station.cli.demo:demo",
    "customers": "wipe_station.cli.customers:customers",
    "intake": "wipe_station.cli.intake:intake",
    "batch": "wipe_station.cli.batch:batch",
    "report": "wipe_station.cli.report:report",
    "export": "wipe_station.cli.export:export",
    "retention": "wipe_station.cli.retention:retention",
    "privacy": "wipe_station.cli.privacy:privacy",
    "settings": "wipe_station.cli.settings:settings",
    "doctor": "wipe_station.cli.doctor:doctor",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="WIPE_STATION_HOME",
    help="Station home (keys, station id, SQLite database). Default: the user data dir.",
)
@click.option(
    "--db", "db_url", envvar="WIPE_STATION_DB", help="Database URL (postgresql://… for a depot)."
)
@click.option("--operator", envvar="WIPE_STATION_OPERATOR", help="Operator name to sign in as.")
@click.version_option(__version__, prog_name="wipe-station")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, db_url: str | None, operator: str | None) -> None:
    """Wipe Station: erase returned phones and issue signed certificates of erasure.

    Bare `wipe-station` (no command) starts the station UI on the phones plugged in;
    `wipe-station demo` tries it on emulated phones in a home of its own. A new station is
    set up with `wipe-station users add NAME --role admin`; every other command needs one.

    \b
    Environment variables (the option, where there is one, wins):
      WIPE_STATION_HOME      the station's home: keys, station id, SQLite
                             database (--home; default: the user data dir)
      WIPE_STATION_DB        database URL; postgresql://... for a depot with
                             several stations (--db; default: SQLite in the home)
      WIPE_STATION_OPERATOR  the operator to sign in as (--operator)
      WIPE_STATION_PIN       that operator's PIN, for scripts (else asked)
      WIPE_STATION_ID        the id a new station gets when it is set up
                             (2-16 letters/digits; default: 6 random ones)
      WIPE_STATION_DB_RETRY  seconds the station waits for a database that
                             went away before a phone fails (default 60)
      WIPE_STATION_MIN_FREE_MB  warn below this much free disk (default 200)

    \b
    Exit status: 0 done; 1 a check failed (a forged certificate, a broken
    audit chain, refused rows or phones); 2 usage or a problem to fix;
    3 sign-in or role refused; 70 an unexpected failure (logged in the home);
    130 / 143 / 129 stopped cleanly by SIGINT / SIGTERM / SIGHUP (the
    station UI, demo)."""
    # Everything the station writes (database, WAL, exports, logs) is its owner's alone,
    # whatever umask the shell had; the files that already exist are tightened where opened.
    os.umask(0o077)
    runtime = Runtime(home=home, db_url=db_url, operator_name=operator)
    global _runtime
    _runtime = runtime
    ctx.obj = runtime
    ctx.call_on_close(runtime.close)
    if ctx.invoked_subcommand is None:
        if not sys.stdin.isatty():
            click.echo(ctx.get_help())
            return
        from wipe_station.tui.app import run_station_ui

        # The one start-up path (wipe_station.startup): lock, checks, recovery.
        code = run_station_ui(runtime.start())
        if code:
            ctx.exit(code)


_runtime: Runtime | None = None  # for the handler below: where the station's home is


def _record_unexpected(exc: BaseException) -> Path | None:
    return crash_log.record(exc, _runtime.home if _runtime is not None else None)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors print one line on stderr, never a traceback."""
    try:
        # Outside standalone mode click returns, not raises, the code of ``ctx.exit(n)``.
        code = cli.main(args=argv, prog_name="wipe-station", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except StationError as exc:
        # Messages quote what was typed or found (a name, a cell): shown, never run.
        click.echo("error: " + "\n".join(visible(line) for line in str(exc).split("\n")), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug or a failure nobody foresaw: one line, never a traceback
        where = _record_unexpected(exc)
        told = f"the details are in {where}" if where else "the details could not be saved"
        click.echo(
            f"error: the command failed unexpectedly ({type(exc).__name__}); {told}", err=True
        )
        sys.exit(70)  # EX_SOFTWARE
    sys.exit(0)


def run() -> NoReturn:
    """The ``wipe-station`` command: `main`, then out without Python's teardown of every module
    and object one by one, which took 0.1 s of every command and more after a large import
    (issue 30). By then the command's work is committed and its station closed (its
    connections too: SQLite checkpoints its log on that close); what it wrote to the terminal
    is flushed here. The station UI and the demo leave the ordinary way: their workers and
    lab clean up as Python exits."""
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if _runtime is not None and _runtime.ran_station:
        sys.exit(code)  # type: ignore[arg-type]
    if isinstance(code, str):  # as Python's own exit would: the message, then status 1
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: what could not be written is lost either way
        code = code or 1
    logging.shutdown()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


if __name__ == "__main__":
    run()
