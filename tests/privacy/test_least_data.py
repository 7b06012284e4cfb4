"""Issue 10, "least data from phones": the station never reads what the owner left on a phone.

The lab phones carry owner canaries (`drivers/emulated/android/owner.py`,
`drivers/emulated/ios/owner.py`): account names, photo file names, messages, contacts, the
name the owner gave the phone, the SIM's number. A careless question brings them back (first
test). The real drivers, run through the pipeline on a mixed fleet, ask only allow-listed
questions, and no canary turns up in the database file or its WAL, the logs, the audit bundle or
the certificate PDFs. The last test runs a deliberately careless station through the same checks
and shows that every one of them catches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from adb_shell.adb_device import AdbDeviceTcp
from adb_shell.auth.keygen import keygen
from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from pymobiledevice3.exceptions import MissingValueError
from pymobiledevice3.lockdown import UsbmuxLockdownClient, create_using_usbmux
from sqlmodel import select

from certificates.render import render_certificate, render_certificates
from drivers.android.driver import AndroidDriver
from drivers.contract import DeviceFacts, EvidenceItem, VerifyResult
from drivers.emulated.android import owner as android_owner
from drivers.emulated.android.lab import AndroidLab
from drivers.emulated.android.profile import load_profile as load_android_profile
from drivers.emulated.ios import IosLab, RecordedRequest, Sim, available_profiles, load_profile
from drivers.emulated.ios import owner as ios_owner
from drivers.ios.driver import IosDriver
from drivers.ios.pairing import TrustState
from tests.privacy.fleet import kept_fleets, lab_phones
from tests.privacy.leaks import (
    OWNER_CANARIES,
    Artefacts,
    android_refused,
    ios_refused,
    pdf_views,
    sqlite_files,
    text_needles,
)
from wipe_station.audit.log import Actor
from wipe_station.audit.store import export_bundle
from wipe_station.certify import signed_from_record
from wipe_station.context import StationContext, open_station
from wipe_station.db.models import Certificate
from wipe_station.operators import actor_of, add_operator, sign_in
from wipe_station.orchestrator import headless
from wipe_station.orchestrator.demo_fleet import Summary
from wipe_station.orchestrator.engine import Engine
from wipe_station.orchestrator.headless import run_headless

# Beyond the demo mix: every other path a phone can take that ends quickly (managed, supervised,
# MDM, eSIM, unencrypted, garbled, unplugged), so each kind of evidence is written once.
ANDROID_EXTRA = (
    "samsung-a54-managed",
    "moto-e5-unencrypted",
    "samsung-s23-garbled",
    "pixel-8-unplugged",
)
IOS_EXTRA = (
    "iphone-12-supervised",
    "iphone-xr-mdm",
    "iphone-15-esim",
    "iphone-13-garbled",
    "iphone-13-unplugged-mid-erase",
    "iphone-13-trust-denied",  # identified without a serial: nothing to match intake by
)
# What a careless station would ask; none of it may ever reach a phone.
CARELESS_ANDROID = (
    "dumpsys account",
    "settings get global device_name",
    "find /sdcard/DCIM /sdcard/Pictures /sdcard/Download /sdcard/Documents /sdcard/Movies "
    "/sdcard/Music -type f",
    "ls /sdcard/DCIM/Camera",
    "content query --uri content://sms",
    "content query --uri content://com.android.contacts/data/phones",
)
PIN = "24681357"


@pytest.fixture(autouse=True)
def _no_real_usbmuxd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every iOS connection must use the lab address it was given; a fallback to the default
    # usbmuxd lands on a path that does not exist and fails instead of touching a real one.
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", str(tmp_path / "no-such-usbmuxd"))


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything any logger says, down to DEBUG (adb-shell logs every packet it moves)."""
    caplog.set_level(logging.DEBUG)
    yield caplog


def signed_in(ctx: StationContext) -> Actor:
    admin = add_operator(ctx, "depot-admin", "admin", PIN, by=None)
    add_operator(ctx, "tekniker-ola", "technician", PIN, by=admin)
    return actor_of(sign_in(ctx, "tekniker-ola", PIN))


def station_artefacts(ctx: StationContext, out: Path, logs: str) -> tuple[Artefacts, int]:
    """Everything the station wrote or said, while it is still open (the WAL still exists),
    and the database file once more after it closed. Returns the artefacts and the number of
    certificates rendered."""
    found = Artefacts()
    db = Path(ctx.engine.url.database or "")
    files = sqlite_files(db)
    assert files.get(f"{db.name}-wal"), "the station is open: its WAL must hold the run"
    for name, data in files.items():
        found.add(f"db:{name}", data)
    bundle = out / "audit-bundle.jsonl"
    with ctx.session() as s:
        assert export_bundle(s, ctx.station_id, ctx.identity.public_key_pem(), bundle) > 0
        signed = [signed_from_record(c) for c in s.exec(select(Certificate)).all()]
    found.add("bundle:audit-bundle.jsonl", bundle.read_bytes())
    for cert in signed:
        for name, data in pdf_views(f"pdf:{cert.payload.number}", render_certificate(cert)):
            found.add(name, data)
    if signed:
        for name, data in pdf_views("pdf:batch", render_certificates(signed)):
            found.add(name, data)
    found.add("log:captured", logs)
    ctx.close()
    for name, data in sqlite_files(db).items():
        found.add(f"db:{name} (closed)", data)
    return found, len(signed)


def run_fleet(
    home: Path,
    db_url: str,
    phones: int,
    *,
    clean_only: bool = False,
) -> tuple[StationContext, Summary]:
    ctx = open_station(home, db_url)
    actor = signed_in(ctx)
    return ctx, asyncio.run(run_headless(ctx, actor, phones, clean_only=clean_only))


# -- the canaries are there to be found --------------------------------------------------------
def test_lab_android_gives_owner_data_to_a_careless_client(tmp_path: Path) -> None:
    keygen(str(tmp_path / "adbkey"))
    signer = PythonRSASigner(
        (tmp_path / "adbkey.pub").read_text(), (tmp_path / "adbkey").read_text()
    )
    # Files in every shared folder, messages and contacts; signed in to three accounts.
    owned = load_android_profile("samsung-s23-clean").with_overrides(
        accounts=["com.google", "com.google", "com.whatsapp"]
    )
    answers = Artefacts()
    with AndroidLab() as lab:
        phone = lab.attach(owned, zero_delay=True)
        dev = AdbDeviceTcp(phone.tcp_host, phone.tcp_port, default_transport_timeout_s=5)
        dev.connect(rsa_keys=[signer], auth_timeout_s=5)
        for command in CARELESS_ANDROID:
            answers.add(command, str(dev.shell(command, read_timeout_s=5)))
        dev.close()
        received = list(phone.received)
    needles = text_needles("Android owner data", android_owner.CANARIES)
    assert {leak.needle for leak in answers.leaks(needles)} == {n.label for n in needles}
    # The lab recorded every question, and the allow-list check flags each one.
    assert received == [f"shell:{command}" for command in CARELESS_ANDROID]
    assert android_refused(received) == received


async def test_lab_iphones_give_owner_data_to_a_careless_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    short = Path(tempfile.mkdtemp(prefix="priv-ios-", dir="/tmp"))  # unix socket path length
    socket = str(short / "usbmuxd")
    # pymobiledevice3 stores new pair records through the default usbmuxd address: the lab's.
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", socket)
    answers = Artefacts()
    try:
        async with IosLab(socket, time_scale=0.0) as lab:
            for name in ("iphone-13-clean", "iphone-14-sim", "iphone-15-pro-clean"):
                phone = lab.attach(name)
                client = await create_using_usbmux(
                    phone.udid,
                    autopair=True,
                    pair_timeout=5,
                    usbmux_address=socket,
                    pairing_records_cache_folder=short,
                )
                try:
                    answers.add(name, repr(client.all_values))
                finally:
                    await client.close()
    finally:
        shutil.rmtree(short, ignore_errors=True)
    needles = text_needles("iPhone owner data", ios_owner.CANARIES)
    assert {leak.needle for leak in answers.leaks(needles)} == {n.label for n in needles}


def test_every_owner_chosen_iphone_name_is_a_canary() -> None:
    names = {load_profile(p).device_name for p in available_profiles()}
    assert names - {ios_owner.FACTORY_DEVICE_NAME} == set(ios_owner.DEVICE_NAMES)


# -- the real station ---------------------------------------------------------------------------
def test_fleet_asks_only_allow_listed_questions_and_keeps_no_owner_data(
    home: Path,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    with kept_fleets(monkeypatch, ANDROID_EXTRA, IOS_EXTRA) as fleets:
        ctx, summary = run_fleet(home, sqlite_url, 16)
        (fleet,) = fleets
        androids, iphones = lab_phones(fleet)
        artefacts, certificates = station_artefacts(ctx, tmp_path, debug_logs.text)

    # The fleet held the owners' data and took every path: certified, blocked, failed.
    assert len(androids) == 8 + len(ANDROID_EXTRA) and len(iphones) == 8 + len(IOS_EXTRA)
    assert summary.phones == len(androids) + len(iphones)
    assert summary.certified and summary.blocked and summary.failed
    assert certificates == summary.certified
    assert any(p.phone.profile.accounts for p in androids)
    assert all(sum(p.phone.profile.files.values()) for p in androids)
    assert all(p.phone.profile.messages and p.phone.profile.contacts for p in androids)
    assert {p.profile.device_name for p in iphones} >= set(ios_owner.DEVICE_NAMES)
    assert any(p.profile.sim is not Sim.NONE for p in iphones)

    # (i) Every request each phone received is on its platform's allow-list.
    assert all(p.received for p in androids) and all(p.requests for p in iphones)
    assert {p.serial: android_refused(p.received) for p in androids} == {
        p.serial: [] for p in androids
    }
    assert {p.udid: ios_refused(p.requests) for p in iphones} == {p.udid: [] for p in iphones}
    # ... and the same check flags what a careless station would ask.
    careless = [f"shell:{command}" for command in CARELESS_ANDROID] + [
        "exec:cat /sdcard/DCIM/Camera/IMG_canary_0001.jpg",
        "sync:",
        "reboot:bootloader",
    ]
    assert android_refused(careless) == careless
    careless_ios = [
        RecordedRequest("lockdown", "GetValue", key="PhoneNumber"),
        RecordedRequest("lockdown", "GetValue", domain="com.apple.mobile.data_sync"),
        RecordedRequest("lockdown", "StartService", service="com.apple.afc"),
        RecordedRequest("com.apple.mobilebackup2", "DLMessageProcessMessage/Backup"),
    ]
    assert ios_refused(careless_ios) == careless_ios

    # (ii) No owner canary in the database (+ WAL), logs, audit bundle or certificates.
    names = artefacts.names()
    for kind in ("db:station.db", "db:station.db-wal", "log:", "bundle:", "pdf:"):
        assert any(n.startswith(kind) and artefacts.size(n) for n in names), kind
    assert any(n.endswith(" text") for n in names)
    assert any(" attachment " in n for n in names)
    assert artefacts.leaks(OWNER_CANARIES) == []


# -- the checks catch a careless station -------------------------------------------------------
class CarelessAndroidDriver(AndroidDriver):
    """Reads the owner's data off the phone and keeps it everywhere a station can."""

    photo = ""

    def _peek(self, command: str) -> str:
        adb = self._ensure()
        return str(adb.shell(command, read_timeout_s=self.read_timeout_s, decode=True)).strip()

    def _identify(self) -> tuple[DeviceFacts, list[EvidenceItem]]:
        facts, evidence = super()._identify()
        name = self._peek("settings get global device_name")
        return dataclasses.replace(facts, model=name), evidence  # device record, certificate

    def _blockers(self) -> tuple[list[Any], list[EvidenceItem]]:
        blockers, evidence = super()._blockers()
        self.photo = self._peek("ls /sdcard/DCIM/Camera | tail -n 1")
        evidence.append(EvidenceItem("blockers", "photos", "ls", self.photo, True))
        latest = self._peek("content query --uri content://sms | tail -n 1")
        logging.getLogger("careless.station").info("latest message: %s", latest)
        return blockers, evidence

    def _verify(self, on_prompt: Callable[[], None]) -> VerifyResult:
        result = super()._verify(on_prompt)
        # The outcome's reason goes into the audit chain with the device's new state.
        return dataclasses.replace(result, reason=f"{result.reason}; it held {self.photo}")


class CarelessIosDriver(IosDriver):
    """Asks around the allow-list and keeps the owner's name for the phone."""

    async def identify(self) -> tuple[DeviceFacts, list[EvidenceItem]]:
        facts, evidence = await super().identify()
        client = self._client
        assert client is not None and self.trust is TrustState.PAIRED
        # Straight to the client library, past GuardedLockdown. Without a SIM the phone
        # answers MissingValue, but the request went out all the same.
        with contextlib.suppress(MissingValueError):
            await UsbmuxLockdownClient._request(client, "GetValue", {"Key": "PhoneNumber"})
        name = str(client.all_values.get("DeviceName"))
        return dataclasses.replace(facts, model=name), evidence


class CarelessEngine(Engine):
    def android_driver(self, port_path: str) -> AndroidDriver:
        return CarelessAndroidDriver(port_path, self.android_backend, self.ctx.keys_dir / "adb")

    def ios_driver(self, udid: str) -> IosDriver:
        assert self.usbmux_address is not None
        return CarelessIosDriver(
            udid, self.ctx.keys_dir / "pairing", usbmux_address=self.usbmux_address, poll_s=0.25
        )


def test_a_careless_station_fails_every_check(
    home: Path,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(headless, "Engine", CarelessEngine)
    with kept_fleets(monkeypatch) as fleets:
        ctx, summary = run_fleet(home, sqlite_url, 2, clean_only=True)
        ((android,), (iphone,)) = lab_phones(fleets[0])
        artefacts, certificates = station_artefacts(ctx, tmp_path, debug_logs.text)
    assert (summary.phones, summary.certified, certificates) == (2, 2, 2)

    assert android_refused(android.received) == [
        "shell:settings get global device_name",
        "shell:ls /sdcard/DCIM/Camera | tail -n 1",
        "shell:content query --uri content://sms | tail -n 1",
    ]
    assert [(r.request, r.key) for r in ios_refused(iphone.requests)] == [
        ("GetValue", "PhoneNumber")
    ]

    leaks = artefacts.leaks(OWNER_CANARIES)
    found_in = {leak.artefact for leak in leaks}
    for place in (
        "db:station.db-wal",
        "db:station.db (closed)",
        "log:captured",
        "bundle:audit-bundle.jsonl",
        "pdf:batch text",
    ):
        assert place in found_in, place
    assert any(" attachment " in place for place in found_in)
    what = {leak.needle for leak in leaks}
    assert {
        f"Android owner data {android_owner.DEVICE_NAME!r}",  # as the phone's model
        "Android owner data 'IMG_canary_'",  # the latest photo's name, as evidence and reason
        f"iPhone owner data {iphone.profile.device_name!r}",  # as the phone's model
    } <= what
    assert any("Canary-SMS" in leak.needle and leak.artefact == "log:captured" for leak in leaks)
