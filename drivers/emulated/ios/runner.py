"""`wipe-station lab ios`: serve emulated iPhones in the foreground until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from drivers.emulated.ios.lab import IosLab
from drivers.emulated.ios.profile import DEFAULT_PROFILE, load_profile


async def serve(
    socket_path: str, profile: str, udid: str | None, ready: asyncio.Event | None = None
) -> None:
    prof = load_profile(profile)
    if udid is not None:
        prof = dataclasses.replace(prof, udid=udid)
    async with IosLab(socket_path) as lab:
        phone = lab.attach(prof)
        print(f"usbmuxd socket: {socket_path}", flush=True)
        print(
            f"  {phone.udid}  {prof.product_type} iOS {prof.product_version}  ({prof.name})",
            flush=True,
        )
        print(
            f"use: USBMUXD_SOCKET_ADDRESS=UNIX:{socket_path} ideviceinfo -u {phone.udid}",
            flush=True,
        )
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()


def run_foreground(
    socket_path: str, profile: str = DEFAULT_PROFILE, udid: str | None = None
) -> None:
    """Blocks until Ctrl-C; the lab removes its socket on the way out."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(socket_path, profile, udid))
