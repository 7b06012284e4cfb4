"""Profiles are well-formed and distinct; the foreground runner serves and cleans up."""

from __future__ import annotations

import asyncio
import contextlib
import os

from pymobiledevice3 import usbmux

from drivers.emulated.ios import Fault, available_profiles, load_profile
from drivers.emulated.ios.identity import luhn_complete
from drivers.emulated.ios.runner import serve


def test_every_profile_loads_with_valid_identity() -> None:
    names = available_profiles()
    assert "iphone-13-clean" in names
    profiles = [load_profile(n) for n in names]
    assert len({p.udid for p in profiles}) == len(profiles)
    assert len({p.serial_number for p in profiles}) == len(profiles)
    for p in profiles:
        assert p.imeis, p.name
        for imei in p.imeis:
            assert len(imei) == 15 and luhn_complete(imei[:14]) == imei
    assert len({p.product_type for p in profiles}) >= 6
    assert len({p.product_version.split(".")[0] for p in profiles}) >= 3
    assert {f for f in Fault if f is not Fault.NONE} <= {p.fault for p in profiles}


async def test_runner_serves_then_removes_socket(mux_path: str) -> None:
    ready = asyncio.Event()
    task = asyncio.create_task(
        serve(mux_path, "iphone-11-ios16-clean", "00008030-0000000000000001", ready)
    )
    await asyncio.wait_for(ready.wait(), timeout=5)
    devices = await usbmux.list_devices(usbmux_address=mux_path)
    assert [d.serial for d in devices] == ["00008030-0000000000000001"]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert not os.path.exists(mux_path)
