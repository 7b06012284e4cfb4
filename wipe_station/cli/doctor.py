"""`wipe-station doctor`: is this bench ready for phones? One line per finding, with its fix."""

from __future__ import annotations

import click

from wipe_station.cli.runtime import Runtime, pass_runtime

WIDTH = 8  # "problem " — the level column


def render(findings: list) -> str:
    """The findings as the terminal shows them (also used by tests)."""
    from wipe_station.safe_text import visible

    lines = []
    for f in findings:
        lines.append(f"{f.level.value:<{WIDTH}} {f.check}: {visible(f.message)}")
        if f.fix:
            lines.append(f"{'':<{WIDTH}}   fix: {visible(f.fix)}")
    return "\n".join(lines)


@click.command(short_help="Check this bench: USB, udev, adb, usbmuxd, database, clock, printers.")
@click.option(
    "--usbmuxd-socket",
    type=click.Path(dir_okay=False),
    envvar="USBMUXD_SOCKET_ADDRESS",
    help="usbmuxd's socket (default /var/run/usbmuxd).",
)
@pass_runtime
def doctor(rt: Runtime, usbmuxd_socket: str | None) -> None:
    """Check the bench before the first phone: libusb and USB buses, the udev rule and your
    group, no adb server (or other program) holding phones, usbmuxd, the station's home, key,
    database (integrity, migration level; PostgreSQL connection), clock synchronisation, free
    disk, printers, and the certificate fonts. Each finding is ok, warning or problem, with the
    command that fixes it.

    Exit status 0 when nothing is a problem (warnings allowed), 1 otherwise."""
    from pathlib import Path

    from wipe_station import doctor as core
    from wipe_station.paths import home_path

    bench = core.Bench(home=home_path(rt.home), db_url=rt.db_url)
    if usbmuxd_socket:
        bench.usbmuxd_socket = Path(usbmuxd_socket.removeprefix("UNIX:"))
    findings = core.run(bench)
    click.echo(render(findings))
    problems = sum(f.level is core.Level.PROBLEM for f in findings)
    warnings = sum(f.level is core.Level.WARNING for f in findings)
    click.echo(f"{problems} problem(s), {warnings} warning(s)")
    if problems:
        raise click.exceptions.Exit(1)
