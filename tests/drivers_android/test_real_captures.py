"""Real phones' answers (tests/fixtures/real/android), fed through the lab's `captured:` map to
the real driver over ADB: the driver must give the right blockers on every one of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.android.driver import AndroidDriver
from drivers.contract import BlockerCode
from drivers.emulated.android.lab import AndroidLab
from drivers.emulated.android.profile import load_profile
from drivers.usb.discovery import UsbWatcher

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "android"


def capture(name: str) -> str:
    lines = (REAL / name).read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0].startswith("# source: "), f"{name} does not name its source"
    return "".join(lines[1:])


def test_every_capture_names_its_source() -> None:
    files = sorted(REAL.glob("*.txt"))
    assert files
    for path in files:
        assert path.read_text(encoding="utf-8").startswith("# source: "), path.name


async def _blockers(lab: AndroidLab, tmp_path: Path, **overrides: object) -> dict:
    prof = load_profile("samsung-s23-clean").with_overrides(**overrides)
    lab.attach(prof, tcp_port=None, zero_delay=True)
    (event,) = UsbWatcher(lab.bus.backend()).poll()
    driver = AndroidDriver(event.device.port_path, lab.bus.backend(), tmp_path / "k")
    try:
        await driver.identify()
        blockers, evidence = await driver.blockers()
    finally:
        driver.close()
    return {"codes": {b.code for b in blockers if b.blocking}, "evidence": evidence}


@pytest.mark.parametrize(
    "name,accounts",
    [("dumpsys-account-materialistic-811.txt", 0), ("dumpsys-account-dhizuku-149.txt", 1)],
)
async def test_authenticators_are_not_accounts(
    lab: AndroidLab, tmp_path: Path, name: str, accounts: int
) -> None:
    # Both list com.google only as an authenticator (or not at all): no FRP account.
    got = await _blockers(lab, tmp_path, captured={"dumpsys account": capture(name)})
    assert BlockerCode.FRP_ACCOUNT not in got["codes"]
    (frp,) = [e for e in got["evidence"] if e.check == "frp_account"]
    assert (frp.response, frp.ok) == ("0", True)
    (phone,) = list(lab.phones())
    out = phone.phone.state  # the capture's account lines, counted the way the driver counts
    from drivers.emulated.android import shell

    assert shell.run(out, "dumpsys account | grep -c 'Account {name='")[0] == f"{accounts}\n"
    # The old way counted the authenticator as an account on the first capture.
    old = shell.run(out, "dumpsys account | grep -c type=com.google")[0]
    assert old == ("1\n" if "materialistic" in name else "0\n")


async def test_a_google_account_among_real_authenticators_blocks(
    lab: AndroidLab, tmp_path: Path
) -> None:
    real = capture("dumpsys-account-materialistic-811.txt")
    signed_in = real.replace(
        "[...]\n", "  Accounts: 1\n    Account {name=masked@example.com, type=com.google}\n"
    )
    got = await _blockers(lab, tmp_path, captured={"dumpsys account": signed_in})
    assert BlockerCode.FRP_ACCOUNT in got["codes"]


@pytest.mark.parametrize("owner,blocked", [(None, False), ("com.example.mdm/.Admin", True)])
async def test_dpm_without_list_owners_falls_back_to_the_policy_dump(
    lab: AndroidLab, tmp_path: Path, owner: str | None, blocked: bool
) -> None:
    # A phone whose `dpm` answers with usage and an error, as real pre-12 releases do.
    got = await _blockers(
        lab,
        tmp_path,
        device_owner=owner,
        captured={
            "dpm list-owners": {"stdout": capture("dpm-usage-android7-mount-6.txt"), "exit": 1}
        },
    )
    assert (BlockerCode.MDM in got["codes"]) is blocked
    requests = [e.request for e in got["evidence"] if e.check == "mdm"]
    assert "dumpsys device_policy | grep -c 'Device Owner:'" in requests
