"""The engine's own loop and thread, and how its changes reach the UI: coalesced, none lost."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from textual import events

from drivers.contract import DeviceFacts, Platform
from wipe_station.context import open_station
from wipe_station.orchestrator.engine import PhoneView
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.engine_thread import EngineThread
from wipe_station.tui.messages import PhonesChanged
from wipe_station.tui.screens.station import StationScreen

FACTS = DeviceFacts(Platform.ANDROID, "Google", "Pixel 8", "shiba", "39021FDH2000AB", "14")


async def test_calls_run_on_the_engines_thread_and_errors_come_back() -> None:
    host = EngineThread().start()
    try:
        assert await host.call(threading.current_thread) is not threading.current_thread()
        assert (await host.call(threading.current_thread)).name == "station-engine"

        async def engine_loop() -> asyncio.AbstractEventLoop:
            return asyncio.get_running_loop()

        assert await host.run(engine_loop()) is host.loop
        assert host.loop is not asyncio.get_running_loop()

        def fails() -> None:
            raise ValueError("no such phone")

        with pytest.raises(ValueError, match="no such phone"):
            await host.call(fails)
    finally:
        await host.stop()
    assert not host.running


async def test_stop_cancels_what_still_runs() -> None:
    host = EngineThread().start()
    started = threading.Event()
    cancelled = threading.Event()

    async def job() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    task = host.spawn(job())
    await asyncio.to_thread(started.wait, 5)
    await host.stop()
    assert cancelled.is_set() and task.cancelled()
    assert not host.running
    await host.stop()  # twice is fine


class BenchApp(WipeStationApp):
    """The station screen without sign-in or engine, fed views by hand."""

    async def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()
        await self.push_screen(StationScreen("kari (technician)   ·   USB", read_only=False))


async def test_changes_from_the_engines_thread_arrive_together_and_none_is_lost(
    home: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages: list[PhonesChanged] = []
    shown: list[PhoneView] = []
    on_phones_changed = WipeStationApp.on_phones_changed
    show_views = WipeStationApp._show_views

    def count(app: WipeStationApp, message: PhonesChanged) -> None:
        messages.append(message)
        on_phones_changed(app, message)

    def seen(app: WipeStationApp, views: list[PhoneView]) -> None:
        shown.extend(views)
        show_views(app, views)

    monkeypatch.setattr(WipeStationApp, "on_phones_changed", count)
    monkeypatch.setattr(WipeStationApp, "_show_views", seen)
    app = BenchApp(open_station(home, sqlite_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        certified = PhoneView("1-1.1", Platform.ANDROID, state="certified", facts=FACTS)
        # The same port's next job: a new view, which must not hide the certified one.
        next_job = PhoneView("1-1.1", Platform.ANDROID, state="detected", facts=FACTS)
        other = PhoneView("1-1.2", Platform.ANDROID, state="wiping", facts=FACTS)

        def engine_side() -> None:  # as the engine's listener calls it, on another thread
            for view in (certified, other, next_job, other):
                app._queue_view(view)

        # The UI's loop waits meanwhile (join blocks it), as it would while busy drawing.
        engine = threading.Thread(target=engine_side)
        engine.start()
        engine.join()
        await pilot.pause()
        await pilot.pause()
        assert len(messages) == 1  # one message for the burst
        assert shown == [certified, other, next_job]  # each view once, the replaced one too
        screen = app.screen
        assert isinstance(screen, StationScreen)
        assert {v.key: v for v in screen.shown_views()} == {"1-1.1": next_job, "1-1.2": other}

        # The next change after the UI took the burst comes in a message of its own.
        other.state = "rebooting"
        await asyncio.to_thread(app._queue_view, other)
        await pilot.pause()
        assert len(messages) == 2 and shown[-1] is other
        row = [str(c) for c in screen.query_one("#phones").get_row("1-1.2")]  # type: ignore[attr-defined]
        assert "» restarting" in row


async def test_a_style_that_changes_alone_reaches_the_row(home: Path, sqlite_url: str) -> None:
    # Rich's Text == ignores a text's own style: the underline of an unannounced phone must
    # still go once it is assigned to a customer, though the serial reads the same.
    app = BenchApp(open_station(home, sqlite_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StationScreen)
        view = PhoneView("1-1.1", Platform.ANDROID, state="ready", facts=FACTS, announced=False)
        screen.show(view)
        table = screen.query_one("#phones")
        assert "underline" in str(table.get_cell("1-1.1", "Serial/IMEI").style)  # type: ignore[attr-defined]
        view.announced = True
        screen.show(view)
        assert "underline" not in str(table.get_cell("1-1.1", "Serial/IMEI").style)  # type: ignore[attr-defined]
