"""Finding phones on a busy bench: filter by customer, platform and state, search, Esc clears."""

from __future__ import annotations

from pathlib import Path

from wipe_station.context import open_station
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.station import NO_CUSTOMER, StationScreen

from .helpers import sign_in, until


def _shown(screen: StationScreen) -> list[str]:
    return [v.key for v in screen.shown_views()]


async def test_customer_platform_and_search_narrow_the_table(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    # The demo's return list names every phone but each eighth one: one phone has no customer.
    app = WipeStationApp(ctx, demo_phones=8, operator_hint="demo-technician")
    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in(pilot)
        screen = app.screen
        assert isinstance(screen, StationScreen)
        await until(
            pilot,
            lambda: (
                app.engine is not None
                and len(app.engine.phones) == 8
                and all(v.facts is not None for v in app.engine.phones.values())
            ),
        )
        views = list(app.engine.phones.values())  # type: ignore[union-attr]
        customers = {v.customer for v in views}
        assert customers == {"Demo Leasing AS", None}
        await pilot.press("k")  # the first customer in order
        assert screen.customer_filter == "Demo Leasing AS"
        assert sorted(_shown(screen)) == sorted(v.key for v in views if v.customer)
        await pilot.press("k")
        assert screen.customer_filter == NO_CUSTOMER
        assert _shown(screen) == [v.key for v in views if v.customer is None]
        await pilot.press("k")
        assert screen.customer_filter is None and len(_shown(screen)) == 8
        await pilot.press("p")  # Android only
        assert {app.engine.phones[k].platform.value for k in _shown(screen)} == {"android"}
        await pilot.press("escape")
        await until(pilot, lambda: len(_shown(screen)) == 8)
    ctx.close()
