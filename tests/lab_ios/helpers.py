"""Client-side helpers for the lab tests; everything goes through pymobiledevice3."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pymobiledevice3.lockdown import UsbmuxLockdownClient, create_using_usbmux
from pymobiledevice3.usbmux import PlistMuxConnection, create_mux

from drivers.emulated.ios import IosLab


async def lockdown(
    lab: IosLab, udid: str, records: Path, *, autopair: bool = True, pair_timeout: float = 5
) -> UsbmuxLockdownClient:
    return await create_using_usbmux(
        udid,
        autopair=autopair,
        pair_timeout=pair_timeout,
        usbmux_address=lab.socket_path,
        pairing_records_cache_folder=records,
    )


async def listener(lab: IosLab) -> PlistMuxConnection:
    mux = await create_mux(usbmux_address=lab.socket_path)
    assert isinstance(mux, PlistMuxConnection)
    await mux.listen()
    return mux


async def next_event(mux: PlistMuxConnection) -> dict[str, object]:
    """The next Attached/Detached message, read with the client's own parser."""
    return await asyncio.wait_for(mux._receive(), timeout=5)


async def wait_attached(lab: IosLab, udid: str, attached: bool = True) -> None:
    for _ in range(500):
        if lab.is_attached(udid) == attached:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{udid} attached={lab.is_attached(udid)}, wanted {attached}")


async def wait_returned(lab: IosLab, udid: str, erases: int = 1) -> None:
    """Until the phone has been through ``erases`` erase/reboot cycles and is back on the bus."""
    phone = lab.phone(udid)
    for _ in range(500):
        if phone.erase_count >= erases and lab.is_attached(udid):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{udid} did not come back (erases={phone.erase_count})")
