"""A station started before usbmuxd: it says what is wrong and how to fix it, then picks the
iPhones up as soon as the daemon answers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from drivers.emulated.ios.lab import IosLab
from wipe_station.audit import log as audit
from wipe_station.context import open_station
from wipe_station.orchestrator.engine import Engine


async def test_no_usbmuxd_is_said_once_and_iphones_appear_when_it_starts(
    home: Path, sqlite_url: str, tmp_path: Path
) -> None:
    ctx = open_station(home, sqlite_url)
    socket = str(tmp_path / "usbmuxd.sock")
    said: list[str] = []
    engine = Engine(
        ctx,
        audit.Actor("anna"),
        usbmux_address=socket,
        emulated=True,
        certify=False,
        on_host_problem=said.append,
    )
    watch = asyncio.ensure_future(engine.watch_usbmux(retry_s=0.05))
    try:
        for _ in range(100):
            if said:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # several retries later, still one message
        assert len(said) == 1
        assert "usbmuxd is not running" in said[0] and "systemctl start usbmuxd" in said[0]
        assert engine.phones == {}
        async with IosLab(socket, time_scale=0.0) as lab:
            phone = lab.attach("iphone-13-clean")
            for _ in range(200):
                if phone.profile.udid in engine.phones:
                    break
                await asyncio.sleep(0.05)
            assert phone.profile.udid in engine.phones
            assert said[-1] == "usbmuxd is running again: iPhones are visible."
            # Let its job run out (zero-delay lab) before the lab goes away.
            await asyncio.gather(*engine._tasks.values(), return_exceptions=True)
    finally:
        watch.cancel()
        ctx.close()
