"""Headless fleet runs whose lab phones a privacy test can inspect afterwards."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from drivers.emulated.android.profile import load_profile
from wipe_station.orchestrator import headless
from wipe_station.orchestrator.demo_fleet import DemoFleet


@contextmanager
def kept_fleets(
    monkeypatch: pytest.MonkeyPatch, android: Sequence[str] = (), ios: Sequence[str] = ()
) -> Iterator[list[DemoFleet]]:
    """Make `run_headless` keep its lab fleet for the test, optionally with extra phones.

    The extra phones join the demo mix on the same bus and usbmuxd, zero-delay like the rest;
    the list yielded receives every fleet `run_headless` starts.
    """
    fleets: list[DemoFleet] = []

    class KeptFleet(DemoFleet):
        async def __aenter__(self) -> DemoFleet:
            self.lab_process = False  # these tests look inside the lab phones
            await super().__aenter__()
            assert self.android is not None and self.ios is not None
            for i, name in enumerate(android, start=1):
                prof = load_profile(name)
                self.android.attach(
                    prof,
                    serial=f"{prof.serial[:6]}PRV{i:02d}",
                    tcp_port=None,
                    zero_delay=self.zero_delay,
                    port_path=f"2-1.{i}",
                )
            for name in ios:
                self.ios.attach(name)
            fleets.append(self)
            return self

    monkeypatch.setattr(headless, "DemoFleet", KeptFleet)
    try:
        yield fleets
    finally:
        for fleet in fleets:
            shutil.rmtree(fleet.workdir, ignore_errors=True)


def lab_phones(fleet: DemoFleet) -> tuple[list[Any], list[Any]]:
    """(Android lab handles, emulated iPhones) of a kept fleet."""
    assert fleet.android is not None and fleet.ios is not None
    return list(fleet.android.phones()), list(fleet.ios.phones.values())
