from __future__ import annotations

import pytest

from wipe_station.context import StationContext
from wipe_station.db.models import Operator
from wipe_station.operators import add_operator


@pytest.fixture
def admin(station: StationContext) -> Operator:
    return add_operator(station, "admin1", "admin", "2468", by=None)
