"""`wipe-station udev …`: USB permissions so the station runs without root."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click

from wipe_station.errors import StationError

DEFAULT_RULES_PATH = Path("/etc/udev/rules.d/70-wipe-station.rules")


def _rules(group: str) -> str:
    # The rules come from the same vendor table USB discovery classifies phones with.
    from drivers.usb.udev_rules import render_rules

    return render_rules(group=group)


@click.group(short_help="udev rules so the station's group reaches phones (no root).")
def udev() -> None:
    """udev rules giving the station's group access to Android and Apple phones."""


@udev.command("print")
@click.option(
    "--group", default="plugdev", show_default=True, help="The group given access to phones."
)
def print_rules(group: str) -> None:
    """Print the rules (to review, or to install by hand)."""
    click.echo(_rules(group), nl=False)


@udev.command("install")
@click.option(
    "--group", default="plugdev", show_default=True, help="The group given access to phones."
)
@click.option(
    "--path",
    "target",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_RULES_PATH,
    show_default=True,
    help="Where to write the rules file.",
)
def install(group: str, target: Path) -> None:
    """Write the rules file and ask udev to reload (needs root once)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_rules(group))
    except PermissionError as exc:
        raise StationError(f"cannot write {target}: run this once with sudo") from exc
    except OSError as exc:
        raise StationError(f"cannot write {target}: {exc.strerror}") from exc
    click.echo(f"wrote {target}")
    udevadm = shutil.which("udevadm")
    if udevadm and target.parent == DEFAULT_RULES_PATH.parent:
        for args in (["control", "--reload-rules"], ["trigger", "--subsystem-match=usb"]):
            subprocess.run([udevadm, *args], check=False)
        click.echo("udev reloaded; re-plug connected phones")
    click.echo(f"add station users to the group: usermod -aG {group} USER")
