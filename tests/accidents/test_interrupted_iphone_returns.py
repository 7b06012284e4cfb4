"""An interrupted iPhone that comes back is judged by what it reports: the station stopped
while the phone was off the bus, started again (recovery marks it interrupted), then the phone
plugged in again, through the real iOS driver, usbmuxd socket and lockdown of the lab."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import col, select

from drivers.emulated.ios import IosLab
from wipe_station.audit.log import Actor
from wipe_station.context import open_station
from wipe_station.db.models import Device, Evidence, WipeJob
from wipe_station.orchestrator.engine import Engine, PhoneView
from wipe_station.startup import start_station

ANNA = Actor("anna", None, "technician")


def _stop_start_and_replug(home: Path, url: str, tmp_path: Path, profile: str):  # type: ignore[no-untyped-def]
    async def scenario() -> tuple[PhoneView, int]:
        ctx = open_station(home, url)
        async with IosLab(str(tmp_path / "usbmuxd.sock"), time_scale=0.05) as lab:
            phone = lab.attach(profile)
            udid = phone.udid
            engine = Engine(ctx, ANNA, usbmux_address=lab.socket_path, emulated=True)
            job = asyncio.ensure_future(engine.run_ios(udid))
            for _ in range(600):
                view = engine.phones.get(udid)
                # Off the bus mid-erase: the job waits for it (rebooting), or it already
                # said the phone went away before the erase began (interrupted).
                cut = view is not None and view.state in ("rebooting", "interrupted")
                if cut and not lab.is_attached(udid):
                    break
                await asyncio.sleep(0.025)
            else:
                raise AssertionError("the phone never got to its erase")
            job.cancel()  # the station stops while the phone is off the bus
            await asyncio.gather(job, return_exceptions=True)
            await engine.close()
            ctx.engine.dispose()
            await asyncio.sleep(0.5)  # an erase that began runs on, off the bus

            def restart() -> None:
                started = start_station(home, url)
                with started.ctx.session() as s:
                    assert [d.state for d in s.exec(select(Device)).all()] == ["interrupted"]
                started.stop()

            await asyncio.to_thread(restart)
            ctx = open_station(home, url)
            lab.replug(udid)
            engine = Engine(ctx, ANNA, usbmux_address=lab.socket_path, emulated=True)
            view = await engine.run_ios(udid)
            await engine.close()
            erased = phone.erase_count
        with ctx.session() as s:
            job_row = s.exec(select(WipeJob).order_by(col(WipeJob.id).desc())).first()
            assert job_row is not None
            checks = {
                e.check: e.ok for e in s.exec(select(Evidence).where(Evidence.job_id == job_row.id))
            }
            level = job_row.verification_level
        ctx.close()
        return view, erased, checks, level  # type: ignore[return-value]

    return asyncio.run(scenario())


def test_an_iphone_pulled_after_its_erase_began_comes_back_erased_and_is_certified(
    home: Path, db_url: str, tmp_path: Path
) -> None:
    view, erased, checks, level = _stop_start_and_replug(
        home, db_url, tmp_path, "iphone-13-pulled-after-erase-began"
    )
    assert view.state == "certified", view.progress
    assert erased == 1  # erased once, off the bus; not a second time
    assert level == "readback"
    assert checks["old_pairing_rejected"] is True


def test_an_iphone_pulled_before_its_erase_began_is_erased_again(
    home: Path, sqlite_url: str, tmp_path: Path
) -> None:
    view, erased, checks, level = _stop_start_and_replug(
        home, sqlite_url, tmp_path, "iphone-13-pulled-before-erase"
    )
    assert view.state == "certified", view.progress
    assert erased == 1  # the second erase, by the normal route
    assert level == "readback"
    assert checks["old_pairing_rejected"] is True  # the new erasure's own verification
