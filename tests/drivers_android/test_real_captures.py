"""Real phones' answers (tests/fixtures/real/android), fed through the lab's `captured:` map to
the real driver over ADB: the driver must reach the right verdict on every one of them.

A fixture whose header reads "from source" is a message copied from the Android source that
prints it (no phone capture was found); its header names the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drivers.android.driver import AndroidDriver
from drivers.contract import BlockerCode, EvidenceItem, Outcome, ScreenSeen, VerificationLevel
from drivers.emulated.android.lab import AndroidLab
from drivers.emulated.android.profile import load_profile
from drivers.pipeline import PipelineResult, wipe_phone
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


def test_every_capture_is_published_or_marked_from_source() -> None:
    # A capture cites where it was published; a message copied from the Android source says so.
    for path in sorted(REAL.glob("*.txt")):
        head = path.read_text(encoding="utf-8").splitlines()[0]
        published = "https://" in head or "index file id" in head
        assert published or head.startswith("# source: from source, "), path.name


async def _blockers(lab: AndroidLab, tmp_path: Path, **overrides: object) -> dict:
    prof = load_profile("samsung-s23-clean").with_overrides(**overrides)
    lab.attach(prof, tcp_port=None, zero_delay=True)
    (event,) = UsbWatcher(lab.bus.backend()).poll()
    driver = AndroidDriver(event.device.port_path, lab.bus.backend(), tmp_path / "k")
    try:
        facts, _ = await driver.identify()
        blockers, evidence = await driver.blockers()
    finally:
        driver.close()
    return {
        "codes": {b.code for b in blockers if b.blocking},
        "blockers": blockers,
        "evidence": evidence,
        "facts": facts,
    }


async def _wipe(lab: AndroidLab, tmp_path: Path, **overrides: object) -> PipelineResult:
    """The whole pipeline on a clean phone that answers some commands as a real phone did; the
    lab's technician answers the screen question from what the lab phone shows."""
    prof = load_profile("samsung-s23-clean").with_overrides(**overrides)
    phone = lab.attach(prof, tcp_port=None, zero_delay=True)
    (event,) = UsbWatcher(lab.bus.backend()).poll()
    driver = AndroidDriver(
        event.device.port_path,
        lab.bus.backend(),
        tmp_path / "k",
        auth_timeout_s=2.0,
        read_timeout_s=3.0,
    )

    async def attest(question: str) -> ScreenSeen:
        return ScreenSeen.WELCOME if phone.screen == "welcome" else ScreenSeen.OTHER

    try:
        return await wipe_phone(driver, lambda _m: None, return_timeout_s=6, attest=attest)
    finally:
        driver.close()


def _evidence(items: list[EvidenceItem], check: str) -> list[EvidenceItem]:
    return [e for e in items if e.check == check]


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
    (locks,) = _evidence(got["evidence"], "owner_lock_accounts")
    assert locks.ok and "com.google" not in locks.response
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


async def test_google_accounts_among_many_account_types_block(
    lab: AndroidLab, tmp_path: Path
) -> None:
    # Two Google accounts among thirteen; the first address is also the name of an
    # app.revanced account, which is no Google account and must not be counted.
    got = await _blockers(
        lab, tmp_path, captured={"dumpsys account": capture("dumpsys-account-dhizuku-158.txt")}
    )
    assert BlockerCode.FRP_ACCOUNT in got["codes"]
    (locks,) = _evidence(got["evidence"], "owner_lock_accounts")
    assert not locks.ok and re.search(r"^\s*2 com\.google$", locks.response, re.M)
    blocking = [b for b in got["blockers"] if b.blocking]
    assert [b.message.split(":")[0] for b in blocking] == ["2 Google account(s) signed in"]
    # The other types are listed for the technician, by type and count, as a warning.
    (other,) = [b for b in got["blockers"] if not b.blocking and "other account" in b.message]
    assert "com.microsoft.workaccount (4)" in other.message
    assert not any("@" in e.response for e in got["evidence"])  # counted, never copied


@pytest.mark.parametrize(
    "name,maker,lock",
    [
        ("dumpsys-account-samsung-worklog.txt", "Samsung", "Reactivation Lock"),
        ("dumpsys-account-xiaomi-index-2399636642.txt", "Xiaomi/Redmi/POCO", "Find device"),
        ("dumpsys-account-huawei-index-35132660516.txt", "Huawei", "Find Device"),
    ],
)
async def test_a_makers_own_account_blocks_and_names_its_lock(
    lab: AndroidLab, tmp_path: Path, name: str, maker: str, lock: str
) -> None:
    # The maker's account, as a real phone printed it, blocks on its own (the Google accounts
    # in two of these are removed first, as the technician would).
    real = "\n".join(ln for ln in capture(name).splitlines() if "type=com.google}" not in ln)
    got = await _blockers(lab, tmp_path, captured={"dumpsys account": real})
    (blocker,) = [b for b in got["blockers"] if b.blocking]
    assert blocker.code is BlockerCode.FRP_ACCOUNT
    assert blocker.message.startswith(f"1 {maker} account(s) signed in")
    assert lock in blocker.message and "Google" not in blocker.message
    assert "password" in blocker.action  # how the owner releases it
    masked = [part for part in re.findall(r"name=\s*([^,]+),", real)]
    assert masked and not any(m in e.response for m in masked for e in got["evidence"])


async def test_a_removed_samsung_account_left_as_an_authenticator_is_no_lock(
    lab: AndroidLab, tmp_path: Path
) -> None:
    # Samsung's authenticator stays registered after the owner signed out of the account.
    real = capture("dumpsys-account-samsung-removed-secure-folder.txt")
    got = await _blockers(lab, tmp_path, captured={"dumpsys account": real})
    blocking = [b.message for b in got["blockers"] if b.blocking]
    assert blocking == [
        "6 Google account(s) signed in: after a reset the phone asks for it "
        "(Factory Reset Protection ('Verify your account'))"
    ]
    (locks,) = _evidence(got["evidence"], "owner_lock_accounts")
    assert "com.osp.app.signin" not in locks.response


@pytest.mark.parametrize(
    "name",
    [
        "dumpsys-account-samsung-worklog.txt",
        "dumpsys-account-xiaomi-index-2399636642.txt",
        "dumpsys-account-huawei-index-35132660516.txt",
    ],
)
async def test_a_makers_account_replayed_is_never_certified_reusable(
    lab: AndroidLab, tmp_path: Path, name: str
) -> None:
    # The case: the Google account removed, the maker's still there.
    real = "\n".join(ln for ln in capture(name).splitlines() if "type=com.google}" not in ln)
    result = await _wipe(lab, tmp_path, captured={"dumpsys account": real})
    assert result.blocked and result.outcome is None and result.stage == "blockers"
    assert "Reactivation Lock" in result.reason or "Find" in result.reason


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


@pytest.mark.parametrize(
    "name,managed",
    [
        ("dpm-list-owners-familylink-zygotroller.txt", True),
        ("dpm-list-owners-none-zygotroller.txt", False),
    ],
)
async def test_dpm_list_owners_as_android_prints_it(
    lab: AndroidLab, tmp_path: Path, name: str, managed: bool
) -> None:
    # A Family Link profile owner on user 0 is an owner like an employer's DPC: the phone is
    # not the customer's to hand in until it is released (it also bans factory resets).
    got = await _blockers(lab, tmp_path, captured={"dpm list-owners": capture(name)})
    assert (BlockerCode.MDM in got["codes"]) is managed
    (mdm,) = _evidence(got["evidence"], "mdm")  # an answer it knows: no fallback asked
    assert mdm.request == "dpm list-owners"
    assert (mdm.response, mdm.ok) == (capture(name).strip(), not managed)


async def test_a_real_device_policy_dump_names_its_device_owner(
    lab: AndroidLab, tmp_path: Path
) -> None:
    # Below Android 12 the station counts the dump's "Device Owner:" and "Profile Owner (User"
    # lines. This dump is an Android 12 phone's; the owners block is the one Owners.dump prints
    # on the older releases too (docs/lab-fidelity.md), so it is read the way an Android 11
    # phone's would be.
    dump = capture("dumpsys-device-policy-motorola-hmdm.txt")
    got = await _blockers(lab, tmp_path, sdk=30, captured={"dumpsys device_policy": dump})
    assert BlockerCode.MDM in got["codes"]
    mdm = _evidence(got["evidence"], "mdm")
    assert [(e.request, e.response, e.ok) for e in mdm] == [
        ("dumpsys device_policy | grep -c 'Device Owner:'", "1", False),
        ("dumpsys device_policy | grep -c 'Profile Owner (User'", "0", True),
    ]


@pytest.mark.parametrize(
    "name,users",
    [
        ("pm-list-users-dual-apps-dhizuku-158.txt", 2),
        ("pm-list-users-secure-folder-adb-client-99.txt", 2),
        ("pm-list-users-work-profile-mobydroid-18.txt", 3),
    ],
)
async def test_users_real_phones_list_fail_the_readback(
    lab: AndroidLab, tmp_path: Path, name: str, users: int
) -> None:
    # A dual-apps space, Samsung's Secure Folder and a work profile are users of their own; a
    # phone that still lists one after the reset was not reset to the factory state.
    result = await _wipe(lab, tmp_path, captured={"pm list users": capture(name)})
    assert result.route == "test_harness"
    assert result.outcome is Outcome.FAILED
    (check,) = _evidence(result.evidence, "users")
    assert (check.response, check.ok) == (str(users), False)
    assert "users" in result.reason


def _getprop(listing: str, name: str) -> str:
    """What `getprop NAME` prints: the value of the listing's `[NAME]: [value]` line."""
    for line in listing.splitlines():
        match = re.fullmatch(r"\[(.+?)\]: \[(.*)\]", line.strip())
        if match and match.group(1) == name:
            return match.group(2)
    raise KeyError(name)


@pytest.mark.parametrize(
    "name,state",
    [
        ("getprop-gsm-dual-sim-xiaomi-crifan.txt", "LOADED,LOADED"),
        ("getprop-gsm-sim-one-of-two-termuxarch-121.txt", "READY,ABSENT"),
    ],
)
async def test_a_sim_in_either_slot_of_a_dual_sim_phone_blocks(
    lab: AndroidLab, tmp_path: Path, name: str, state: str
) -> None:
    value = _getprop(capture(name), "gsm.sim.state")
    assert value == state
    got = await _blockers(lab, tmp_path, captured={"getprop gsm.sim.state": f"{value}\n"})
    assert BlockerCode.SIM_PRESENT in got["codes"]
    (sim,) = _evidence(got["evidence"], "sim_present")
    assert (sim.response, sim.ok) == (state, False)


@pytest.mark.parametrize(
    "state,verdict",
    [
        ("NOT_READY", "unknown"),
        ("UNKNOWN", "unknown"),
        ("ABSENT,NOT_READY", "unknown"),
        ("LOADED,NOT_READY", "present"),
        ("ABSENT,ABSENT", "absent"),
        ("", "absent"),  # no telephony: no SIM slot at all
    ],
)
async def test_a_slot_that_cannot_tell_is_never_taken_for_an_empty_one(
    lab: AndroidLab, tmp_path: Path, state: str, verdict: str
) -> None:
    # AOSP IccCardProxy.updateExternalState (LineageOS frameworks_opt_telephony 0171e812): a
    # slot reads NOT_READY while the radio is unavailable or the card's application is not
    # known yet, whether a card is in it or not. The certificate must not say "no SIM" on it.
    got = await _blockers(lab, tmp_path, captured={"getprop gsm.sim.state": f"{state}\n"})
    (sim,) = _evidence(got["evidence"], "sim_present")
    assert (sim.response, sim.ok) == (state, verdict == "absent")
    warnings = [b for b in got["blockers"] if b.code is BlockerCode.SIM_PRESENT and not b.blocking]
    assert (BlockerCode.SIM_PRESENT in got["codes"]) == (verdict == "present")
    assert bool(warnings) == (verdict == "unknown")
    if warnings:
        assert state in warnings[0].message and "tray" in warnings[0].action


@pytest.mark.parametrize(
    "name,level,low",
    [
        ("dumpsys-battery-capacity-level-clusterfuzz-4327.txt", 80, False),
        ("dumpsys-battery-low-pixel-c-syzkaller-79.txt", 19, True),
        ("dumpsys-battery-samsung-mcloud-device-150.txt", 100, False),
    ],
)
async def test_battery_level_of_real_dumps(
    lab: AndroidLab, tmp_path: Path, name: str, level: int, low: bool
) -> None:
    got = await _blockers(lab, tmp_path, captured={"dumpsys battery": capture(name)})
    assert got["facts"].battery_percent == level
    assert (BlockerCode.BATTERY_LOW in got["codes"]) is low
    (battery,) = _evidence(got["evidence"], "battery")
    assert battery.ok is not low
    if "clusterfuzz" in name:
        # `grep level` keeps "Capacity level: 3" too; it is not the charge.
        assert battery.response == "level: 80\n  Capacity level: 3"


async def test_a_toolbox_df_size_is_not_taken_for_a_byte_count(
    lab: AndroidLab, tmp_path: Path
) -> None:
    # Before toybox (Android 6) `df` printed rounded human sizes ("27G"). The capture is `df`
    # with no argument; every row has that layout, so whichever row `tail -n 1` keeps, the
    # size is unknown rather than a wrong number of bytes.
    got = await _blockers(
        lab, tmp_path, captured={"df /data": capture("df-toolbox-samsung-aafm-30.txt")}
    )
    assert got["facts"].storage_bytes is None


@pytest.mark.parametrize(
    "name,status,why",
    [
        ("cmd-testharness-enable-lock-screen-source.txt", 2, "a screen lock is set"),
        ("cmd-testharness-enable-failed-source.txt", 1, "maker left out"),
        ("cmd-testharness-enable-no-service-source.txt", 20, "no Test Harness Mode"),
    ],
)
async def test_test_harness_refusals_as_android_words_them_take_guided_recovery(
    lab: AndroidLab, tmp_path: Path, name: str, status: int, why: str
) -> None:
    refusal = {"stdout": capture(name), "exit": status}
    result = await _wipe(lab, tmp_path, captured={"cmd testharness enable": refusal})
    (tried,) = _evidence(result.evidence, "test_harness")
    assert why in tried.response and not tried.ok
    assert (result.route, result.level) == ("guided_recovery", VerificationLevel.ATTESTED)
    assert result.outcome is Outcome.VERIFIED, result.reason


@pytest.mark.parametrize("lock", ["none", "pin"])
async def test_android_10_does_not_say_its_lock_type(
    lab: AndroidLab, tmp_path: Path, lock: str
) -> None:
    # Android 10's LockSettingsService.dump has no CredentialType line (Android 11 added it):
    # the station reads "unknown" and lets `cmd testharness enable` refuse by itself.
    result = await _wipe(lab, tmp_path, sdk=29, android_version="10", lock_screen=lock)
    (read,) = _evidence(result.evidence, "lock_credential")
    assert read.response == ""
    assert BlockerCode.PASSCODE_LOCKED not in {b.code for b in result.blockers}
    (tried,) = _evidence(result.evidence, "test_harness")
    assert result.outcome is Outcome.VERIFIED, result.reason
    if lock == "none":
        assert tried.ok and result.route == "test_harness"
    else:
        assert tried.response == "a screen lock is set" and not tried.ok
        assert result.route == "guided_recovery"
