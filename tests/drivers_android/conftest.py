from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.emulated.android.lab import AndroidLab


@pytest.fixture
def lab() -> Iterator[AndroidLab]:
    with AndroidLab() as lab:
        yield lab
