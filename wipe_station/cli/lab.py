"""`wipe-station lab …`: run emulated phones in the foreground, for trying things by hand."""

from __future__ import annotations

import click


@click.group()
def lab() -> None:
    """Run emulated phones (the device lab) until Ctrl-C."""


@lab.command("android", short_help="One emulated Android phone on ADB over TCP and virtual USB.")
@click.option(
    "--listen", default="127.0.0.1:5555", show_default=True, help="HOST:PORT for ADB over TCP."
)
@click.option("--profile", default="pixel-8-clean", show_default=True, help="Lab profile name.")
@click.option("--serial", default=None, help="Override the profile's serial number.")
@click.option("--model", default=None, help="Override the profile's model.")
def lab_android(listen: str, profile: str, serial: str | None, model: str | None) -> None:
    """One emulated Android phone speaking ADB over TCP and on the virtual USB bus."""
    from drivers.emulated.android.runner import run_foreground

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.UsageError(f"--listen wants HOST:PORT, got {listen!r}")
    run_foreground(host=host, port=int(port), profile=profile, serial=serial, model=model)


@lab.command("ios")
@click.option("--socket", "socket_path", required=True, help="Path of the usbmuxd unix socket.")
@click.option("--profile", default="iphone-13-clean", show_default=True, help="Lab profile name.")
@click.option("--udid", default=None, help="Override the profile's UDID.")
def lab_ios(socket_path: str, profile: str, udid: str | None) -> None:
    """Emulated iPhones behind an emulated usbmuxd on a unix socket."""
    from drivers.emulated.ios.runner import run_foreground

    run_foreground(socket_path=socket_path, profile=profile, udid=udid)
