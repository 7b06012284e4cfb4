"""Every real dump in tests/fixtures/real/ios, served by the lab through ``captured:`` and read
by the real driver: the facts, blockers and Activation Lock verdict it must give for each."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from drivers.contract import BlockerCode
from drivers.emulated.ios import IosLab, load_profile
from drivers.emulated.ios.capture import parse_dump
from tests.drivers_ios.flow import Run, make_driver

DUMPS = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "ios"
LOCK = BlockerCode.ACTIVATION_LOCK
SIM = BlockerCode.SIM_PRESENT

# file -> (facts expected, {(blocker code, blocking)}, activation_lock evidence prefix)
EXPECTED: dict[str, tuple[dict[str, str], set[tuple[BlockerCode, bool]], str]] = {
    "ideviceinfo-iphone7-ios13.3.1-sim.txt": (
        {"serial": "TESTSERIAL01", "os_version": "13.3.1", "model_code": "iPhone9,1"},
        {(SIM, True), (LOCK, False)},  # no fm-* flags on this release: lock unknown
        "unknown",
    ),
    "ideviceinfo-iphone6plus-ios12.4.8-nosim.txt": (
        {"serial": "TESTSERIAL02", "os_version": "12.4.8", "model_code": "iPhone7,1"},
        {(LOCK, False)},  # tray in, no SIM: not a SIM blocker
        "unknown",
    ),
    "myitools-iphone13-ios16.3.1.md": (
        {"serial": "TESTSERIAL", "os_version": "16.3.1", "model_code": "iPhone14,5"},
        set(),
        "not_locked",
    ),
    "orchard-ios17-nvram-locked.md": ({}, {(LOCK, True)}, "locked"),
    "posixninja-ideviceactivate-19-iphone11-unactivated.txt": (
        {"activation_state": "Unactivated", "build": "17A878"},
        set(),
        "not_locked",  # the excerpt has no NVRAM: the model's answers fill in
    ),
}


def test_every_fixture_is_covered_and_names_its_source() -> None:
    files = sorted(p.name for p in DUMPS.iterdir())
    assert files == sorted(EXPECTED)
    for name in files:
        first = (DUMPS / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# source: "), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_driver_reads_real_dump(lab: IosLab, key_dir: Path, name: str) -> None:
    facts_expected, blockers_expected, lock_expected = EXPECTED[name]
    captured = parse_dump((DUMPS / name).read_text(encoding="utf-8"))
    profile = dataclasses.replace(load_profile("iphone-13-clean"), name=name, captured=captured)
    phone = lab.attach(profile)
    driver = make_driver(lab, phone.udid, key_dir, Run())
    facts, _ = await driver.identify()
    blockers, evidence = await driver.blockers()
    await driver.close()
    for field, value in facts_expected.items():
        assert getattr(facts, field) == value, field
    assert {(b.code, b.blocking) for b in blockers} == blockers_expected
    lock = next(e for e in evidence if e.check == "activation_lock")
    assert lock.response.split(":")[0] == lock_expected
    # The owner's masked Apple ID in NVRAM is dropped on receipt, whatever the dump holds.
    assert not any("example.com" in e.response for e in evidence)
