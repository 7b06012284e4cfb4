from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wipe_station.context import StationContext, open_station
from wipe_station.db.models import Operator
from wipe_station.operators import add_operator


@pytest.fixture
def station(home: Path, db_url: str) -> Iterator[StationContext]:
    ctx = open_station(home, db_url)
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


@pytest.fixture
def admin(station: StationContext) -> Operator:
    return add_operator(station, "admin1", "admin", "2468", by=None)
