"""The Android driver: identify, check blockers, reset and verify a phone over ADB on USB.

Every request comes from `allowlist`; every answer the station keeps is an EvidenceItem. The ADB
client is the real adb-shell, on a pyusb transport, so the lab and a real hub take the same path.

Three reset routes, chosen per phone (see docs/lab-fidelity.md, "which phones take which route"):
Test Harness Mode (read back over ADB afterwards), the userdebug broadcast, and guided recovery
(the technician's hands; the technician confirms the screen at the end).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from adb_shell import exceptions as adb_errors
from adb_shell.adb_device import AdbDevice

from drivers.android import allowlist, guidance, locks, readings
from drivers.android.guidance import ALLOW_PROMPT, ENABLE_DEBUGGING
from drivers.android.keys import RecordingSigner, load_or_create
from drivers.android.usb_transport import PyUsbTransport
from drivers.contract import (
    ActivationLock,
    Attest,
    Before,
    Blocker,
    BlockerCode,
    DeviceFacts,
    DeviceGone,
    DriverError,
    EvidenceItem,
    GarbledReply,
    Outcome,
    Platform,
    Progress,
    Returned,
    ReturnVerdict,
    ScreenSeen,
    UsbDeviceInfo,
    UsbKind,
    VerificationLevel,
    VerifyResult,
)
from drivers.usb.discovery import bus_snapshot, describe, find_device
from drivers.usb.vendors import vendor_name

__all__ = ["ALLOW_PROMPT", "ENABLE_DEBUGGING", "AndroidDriver"]

MAX_EVIDENCE_CHARS = 500
# gsm.sim.state per slot (IccCardConstants.State, set by IccCardProxy.updateExternalState): a
# phone without telephony has no value at all. NOT_READY is what a slot reads while the radio
# is unavailable or the card's application is not yet known, with or without a card in it, and
# UNKNOWN a card whose application state is unknown: neither says the slot is empty.
SIM_ABSENT = {"", "ABSENT"}
SIM_UNKNOWN = {"NOT_READY", "UNKNOWN"}
TEST_HARNESS_SDK = 29  # Android 10
LIST_OWNERS_SDK = 31  # Android 12

ROUTE_TEST_HARNESS = "test_harness"
ROUTE_GUIDED = "guided_recovery"
ROUTE_USERDEBUG = "userdebug_broadcast"
METHODS = {
    ROUTE_TEST_HARNESS: (
        "Factory reset by Android Test Harness Mode (cmd testharness enable): user data and "
        "shared storage wiped; the station's ADB key kept to read the factory state back"
    ),
    ROUTE_USERDEBUG: "Factory reset requested over ADB (FACTORY_RESET broadcast, userdebug build)",
    ROUTE_GUIDED: (
        "Factory reset from the recovery menu (Wipe data/factory reset), done by the technician "
        "as the station guided; the result confirmed on the phone's screen by the technician"
    ),
}


def _trim(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_EVIDENCE_CHARS else text[:MAX_EVIDENCE_CHARS] + "…"


async def _say(progress: Progress | None, message: str) -> None:
    if progress is None:
        return
    result = progress(message)
    if asyncio.iscoroutine(result):
        await result


class AndroidDriver:
    platform = Platform.ANDROID

    def __init__(
        self,
        port_path: str,
        backend: Any,
        key_dir: Path,
        *,
        auth_timeout_s: float = 60.0,
        read_timeout_s: float = 10.0,
        return_timeout_s: float = 900.0,
        low_battery: int = 20,
    ) -> None:
        self.port_path = port_path
        self.backend = backend
        self.signer: RecordingSigner = load_or_create(key_dir)
        self.auth_timeout_s = auth_timeout_s
        self.read_timeout_s = read_timeout_s
        self.return_timeout_s = return_timeout_s
        self.low_battery = low_battery
        self._adb: AdbDevice | None = None
        self._facts: dict[str, str] = {}
        self.method_used = ""
        self.route = ""
        self.encrypted: bool | None = None
        self._address_before_reset: int | None = None
        self.lock_findings: locks.LockFindings | None = None
        self._usb: UsbDeviceInfo | None = None
        self.adb_ready = False  # debugging on and this station authorised
        self.sdk = 0
        self.lock = readings.UNKNOWN  # "none" | "set" | "unknown"
        # Before the reset: boot_count, and a salted hash of android_id (never the value).
        self._salt = os.urandom(16)
        self._boot_count_before: int | None = None
        self._android_id_before: str | None = None
        self._returned: UsbKind | None = None  # how the phone came back after the reset
        self._fresh_return = False  # left the bus and came back as a new enumeration
        # This phone's blocking USB work runs on its own thread, as its own cable is its own:
        # on the loop's shared default pool (2 cores + 4 threads) 32 phones' ADB sessions
        # queued behind each other, and behind the station's database writes (issue 19).
        self._thread: ThreadPoolExecutor | None = None

    async def _io(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """``fn(*args)`` on this phone's thread (one ADB request at a time, as before)."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"adb-{self.port_path}"
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(fn, *args))

    # -- ADB plumbing (runs in worker threads) ---------------------------------------------
    def _connect(self, on_prompt: Callable[[], None] | None = None) -> AdbDevice:
        dev = find_device(self.backend, self.port_path)
        if dev is None:
            raise DeviceGone("the phone is no longer on its USB port")
        if describe(dev).kind is not UsbKind.ADB:
            raise DriverError(ENABLE_DEBUGGING)
        adb = AdbDevice(PyUsbTransport(dev), default_transport_timeout_s=2.0)
        self.signer.public_key_sent = False
        try:
            adb.connect(
                rsa_keys=[self.signer],
                auth_timeout_s=self.auth_timeout_s,
                read_timeout_s=self.auth_timeout_s,
                auth_callback=(lambda _d: on_prompt()) if on_prompt else None,
            )
        except (adb_errors.AdbTimeoutError, adb_errors.TcpTimeoutException) as exc:
            adb.close()
            if self.signer.public_key_sent:
                raise DriverError(
                    "the phone did not allow USB debugging from this station (prompt denied "
                    "or not answered)"
                ) from exc
            raise DriverError("the phone did not answer the ADB handshake") from exc
        except (
            adb_errors.InvalidChecksumError,
            adb_errors.InvalidCommandError,
            adb_errors.InvalidResponseError,
        ) as exc:
            adb.close()
            raise GarbledReply(f"garbled reply during the ADB handshake: {exc}") from exc
        return adb

    def _ensure(self) -> AdbDevice:
        if self._adb is None:
            self._adb = self._connect()
        return self._adb

    def _shell(self, step: str, check: str) -> tuple[str, EvidenceItem]:
        command = allowlist.SHELL[check]
        adb = self._ensure()
        try:
            out = str(adb.shell(command, read_timeout_s=self.read_timeout_s, decode=True))
        except DeviceGone:
            self._drop()
            raise
        except (
            adb_errors.InvalidChecksumError,
            adb_errors.InvalidCommandError,
            adb_errors.InvalidResponseError,
            UnicodeDecodeError,
        ) as exc:
            self._drop()
            raise GarbledReply(f"garbled reply to '{command}': {exc}") from exc
        except (adb_errors.AdbTimeoutError, adb_errors.TcpTimeoutException) as exc:
            self._drop()
            raise DriverError(
                f"no reply to '{command}' within {self.read_timeout_s:.0f} s"
            ) from exc
        return out.strip(), EvidenceItem(step, check, command, _trim(out), ok=True)

    def _drop(self) -> None:
        if self._adb is not None:
            with contextlib.suppress(Exception):
                self._adb.close()
            self._adb = None

    def close(self) -> None:
        self._drop()
        if self._thread is not None:
            self._thread.shutdown(wait=False)  # idle by now: its last request was awaited
            self._thread = None

    # -- identify -------------------------------------------------------------------------
    def _identify(self) -> tuple[DeviceFacts, list[EvidenceItem]]:
        evidence = []
        for check in (
            "manufacturer",
            "model",
            "device",
            "serial",
            "android_version",
            "sdk",
            "build_type",
            "security_patch",
            "crypto_state",
            "crypto_type",
            "battery",
            "storage",
            "sim_state",
        ):
            self._facts[check], item = self._shell("identify", check)
            evidence.append(item)
        f = self._facts
        self.sdk = int(f["sdk"]) if f["sdk"].isdigit() else 0
        battery = re.search(r"level:\s*(\d+)", f["battery"])
        storage = f["storage"].split()
        self.encrypted = f["crypto_state"] == "encrypted"
        facts = DeviceFacts(
            platform=Platform.ANDROID,
            manufacturer=f["manufacturer"],
            model=f["model"],
            model_code=f["device"],
            serial=f["serial"],
            os_version=f["android_version"],
            build=f["security_patch"],
            storage_bytes=int(storage[1]) * 1024
            if len(storage) > 1 and storage[1].isdigit()
            else None,
            encrypted=self.encrypted,
            battery_percent=int(battery.group(1)) if battery else None,
        )
        return facts, evidence

    def _identify_from_usb(self, info: UsbDeviceInfo, why: str) -> tuple[DeviceFacts, list]:
        """A phone without ADB is still a phone: what its USB descriptors say."""
        maker = info.manufacturer or vendor_name(info.vendor_id) or f"{info.vendor_id:04x}"
        facts = DeviceFacts(
            platform=Platform.ANDROID,
            manufacturer=maker,
            model=info.product or "Android phone",
            model_code=f"usb {info.vendor_id:04x}:{info.product_id:04x}",
            serial=info.serial or "",
            os_version="unknown (USB debugging off)",
        )
        evidence = [
            EvidenceItem(
                "identify",
                "usb_descriptors",
                "USB device and string descriptors",
                _trim(
                    f"vendor {info.vendor_id:04x} product {info.product_id:04x} "
                    f"manufacturer '{info.manufacturer}' product '{info.product}' "
                    f"serial '{info.serial}' mode {info.kind.value}"
                ),
                ok=True,
            ),
            EvidenceItem(
                "identify",
                "adb",
                "ADB connection",
                f"not available: {why}; Android version, storage, encryption, battery, "
                "accounts, MDM and apps could not be read",
                ok=False,
            ),
        ]
        return facts, evidence

    async def identify(self) -> tuple[DeviceFacts, list[EvidenceItem]]:
        dev = await self._io(find_device, self.backend, self.port_path)
        if dev is None:
            raise DeviceGone("the phone is no longer on its USB port")
        info = await self._io(describe, dev)
        self._usb = info
        self._address_before_reset = dev.address
        if info.kind is UsbKind.MTP:
            return self._identify_from_usb(info, "USB debugging is off")
        try:
            await self._io(self._ensure)
        except GarbledReply:
            raise
        except DriverError as exc:
            if "did not allow USB debugging" not in str(exc):
                raise
            return self._identify_from_usb(info, "this station is not allowed (prompt denied)")
        self.adb_ready = True
        return await self._io(self._identify)

    # -- blockers -------------------------------------------------------------------------
    def _blockers(self) -> tuple[list[Blocker], list[EvidenceItem]]:
        blockers: list[Blocker] = []
        evidence: list[EvidenceItem] = []

        def ask(check: str) -> str:
            out, item = self._shell("blockers", check)
            evidence.append(item)
            return out

        def judge(check: str, request: str, answer: str, clear: bool) -> None:
            evidence.append(EvidenceItem("blockers", check, request, _trim(answer), clear))

        blockers += self._owner_locks(evidence)
        managed = self._managed(evidence)
        if managed is not False:
            blockers.append(
                Blocker(
                    BlockerCode.MDM,
                    # Usually the employer's MDM; Family Link's parental controls are a
                    # profile owner too (tests/fixtures/real/android, Zygotroller).
                    "managed by a device or profile owner (an MDM or parental controls): "
                    "whoever manages it must release it"
                    if managed
                    else "could not tell whether an MDM manages this phone",
                    "Ask the customer's MDM admin to retire or wipe the device (Family Link: the "
                    "parent's account removes it), then re-check.",
                )
            )
        sim = self._facts.get("sim_state", "")
        slots = [s.strip() for s in sim.split(",")]
        present = any(s not in SIM_ABSENT | SIM_UNKNOWN for s in slots)
        unknown = not present and any(s in SIM_UNKNOWN for s in slots)
        judge("sim_present", allowlist.SHELL["sim_state"], sim, not (present or unknown))
        if present:
            blockers.append(
                Blocker(
                    BlockerCode.SIM_PRESENT,
                    "a SIM card is still inside",
                    "Remove the SIM tray and take the SIM out (return it to the customer).",
                )
            )
        elif unknown:
            # The certificate must not say "no SIM" on this answer; the tray says it.
            blockers.append(
                Blocker(
                    BlockerCode.SIM_PRESENT,
                    f"could not tell whether a SIM card is inside (the phone reports {sim})",
                    "Open the SIM tray: take out any SIM card (return it to the customer).",
                    blocking=False,
                )
            )
        level = re.search(r"level:\s*(\d+)", self._facts.get("battery", ""))
        low = bool(level and int(level.group(1)) < self.low_battery)
        judge("battery", allowlist.SHELL["battery"], self._facts.get("battery", ""), not low)
        if low and level:
            blockers.append(
                Blocker(
                    BlockerCode.BATTERY_LOW,
                    f"battery at {level.group(1)} %: a reset may not finish",
                    f"Charge the phone to at least {self.low_battery} %, then re-check.",
                )
            )
        if self.encrypted is False:
            blockers.append(
                Blocker(
                    BlockerCode.NOT_ENCRYPTED,
                    "storage is not encrypted: a factory reset is only NIST 'Clear', not 'Purge'",
                    "Proceed only if 'Clear' is acceptable for this customer.",
                    blocking=False,
                )
            )
        self.lock = readings.lock_state(ask("lock_credential"))
        if self.lock == "set":
            blockers.append(
                Blocker(
                    BlockerCode.PASSCODE_LOCKED,
                    "a screen lock is set: the automatic reset (Test Harness) is not possible",
                    "Nothing: the station guides a reset from the recovery menu instead.",
                    blocking=False,
                )
            )
        # What the reset must change, kept for verification: boot_count, and android_id as a
        # salted hash only.
        self._boot_count_before = readings.count(ask("boot_count"))
        android_id, item = self._shell("blockers", "android_id")
        self._android_id_before = readings.commitment(self._salt, android_id)
        evidence.append(
            EvidenceItem(
                "blockers",
                "android_id",
                item.request,
                f"salted hash {self._android_id_before} (the value is not kept)",
                True,
            )
        )
        return blockers, evidence

    def _owner_locks(self, evidence: list[EvidenceItem]) -> list[Blocker]:
        """Accounts that lock the phone to its owner after a reset, by maker (locks.py)."""
        out, item = self._shell("blockers", "account_types")
        counts = locks.parse_types(out)
        found = locks.findings(counts or {}, self._facts.get("manufacturer", ""))
        self.lock_findings = found if counts is not None else None
        evidence.append(
            EvidenceItem(
                "blockers", "owner_lock_accounts", item.request, item.response, not found.found
            )
        )
        if counts is None:
            return [
                Blocker(
                    BlockerCode.FRP_ACCOUNT,
                    "could not read which accounts are signed in on this phone",
                    "Re-check; if it persists, remove every account in Settings > Accounts "
                    "(in every user and work profile) by hand.",
                )
            ]
        result = [
            Blocker(
                BlockerCode.FRP_ACCOUNT,
                f"{n} {lock.maker} account(s) signed in: after a reset the phone asks for it "
                f"({lock.lock})",
                lock.release,
            )
            for t, n in sorted(found.found.items())
            for lock in (locks.BY_TYPE[t],)
        ]
        if found.unknown:
            types = ", ".join(f"{t} ({n})" for t, n in sorted(found.unknown.items()))
            maybe = f" One of them may be {found.unsourced}." if found.unsourced else ""
            result.append(
                Blocker(
                    BlockerCode.FRP_ACCOUNT,
                    f"other account types signed in (not known owner locks): {types}.{maybe}",
                    "Check Settings > Accounts (every user and profile); remove any account of "
                    "the phone's maker and turn off its 'Find my phone', then re-check.",
                    blocking=False,
                )
            )
        return result

    def _managed(self, evidence: list[EvidenceItem]) -> bool | None:
        """Device or profile owner, on every release (dpm list-owners is Android 12+)."""
        if self.sdk >= LIST_OWNERS_SDK:
            out, item = self._shell("blockers", "owners")
            managed = readings.owners_from_dpm(out)
            evidence.append(
                EvidenceItem("blockers", "mdm", item.request, item.response, managed is False)
            )
            if managed is not None:
                return managed
        counts = []
        for check in ("device_owner_legacy", "profile_owner_legacy"):
            out, item = self._shell("blockers", check)
            counts.append(readings.count(out))
            evidence.append(
                EvidenceItem("blockers", "mdm", item.request, item.response, counts[-1] == 0)
            )
        if any(c is None for c in counts):
            return None
        return any(c for c in counts if c)

    async def blockers(self) -> tuple[list[Blocker], list[EvidenceItem]]:
        if not self.adb_ready:
            return [
                Blocker(
                    BlockerCode.DEBUGGING_OFF,
                    "USB debugging is off (or this station is not allowed): checked only what "
                    "USB shows (maker, model, serial); owner-lock accounts (Google FRP, Samsung, "
                    "Xiaomi, Huawei), MDM, SIM, battery "
                    "and encryption could not be checked",
                    "Nothing needed: the station guides a reset from the recovery menu, and you "
                    "confirm the phone's screen at the end. Take the SIM out first.",
                    blocking=False,
                )
            ], [
                EvidenceItem(
                    "blockers",
                    "debugging_off",
                    "ADB connection",
                    "not available: blockers not checked over ADB",
                    False,
                )
            ]
        return await self._io(self._blockers)

    # -- erase ----------------------------------------------------------------------------
    async def erase(self, progress: Progress) -> list[EvidenceItem]:
        evidence: list[EvidenceItem] = []
        dev = await self._io(find_device, self.backend, self.port_path)
        if dev is None:
            raise DeviceGone("the phone left the bus before the reset")
        self._address_before_reset = dev.address
        if self.adb_ready and self.sdk >= TEST_HARNESS_SDK and self.lock != "set":
            await _say(progress, "Reset: Android Test Harness Mode (automatic, no hands needed)")
            try:
                out, item = await self._io(self._shell, "erase", "test_harness_enable")
            except DeviceGone:
                # An accepted enable prints nothing and starts the reset at once, so a phone
                # can be gone before a busy station reads the empty reply. Only what the phone
                # reports when it returns (boot count, android_id, data) says it was reset.
                evidence.append(
                    EvidenceItem(
                        "erase",
                        "test_harness",
                        allowlist.SHELL["test_harness_enable"],
                        "no reply: the phone left the bus right after the command; what it "
                        "reports when it returns decides whether it was reset",
                        False,
                    )
                )
                return evidence + self._chose(ROUTE_TEST_HARNESS)
            refusal = readings.test_harness_refusal(out)
            evidence.append(
                EvidenceItem(
                    "erase",
                    "test_harness",
                    item.request,
                    refusal or "accepted: factory reset on its way",
                    not refusal,
                )
            )
            if not refusal:
                return evidence + self._chose(ROUTE_TEST_HARNESS)
            await _say(progress, f"Test Harness Mode not possible ({refusal})")
        if self.adb_ready and self._facts.get("build_type") in ("userdebug", "eng"):
            out, item = await self._io(self._shell, "erase", "factory_reset_broadcast")
            evidence.append(
                EvidenceItem("erase", "factory_reset_broadcast", item.request, item.response, True)
            )
            await _say(progress, "Reset: FACTORY_RESET broadcast (userdebug build)")
            return evidence + self._chose(ROUTE_USERDEBUG)
        evidence += await self._guided(progress)
        return evidence + self._chose(ROUTE_GUIDED)

    def _chose(self, route: str) -> list[EvidenceItem]:
        self.route, self.method_used = route, METHODS[route]
        self._drop()
        return [EvidenceItem("erase", "route", "route chosen", route, True)]

    async def _guided(self, progress: Progress) -> list[EvidenceItem]:
        evidence = []
        if self.adb_ready:
            await _say(progress, "Reset: guided recovery. Rebooting the phone into recovery…")
            try:
                await self._io(self._reboot_recovery)
            except DeviceGone as exc:
                raise DeviceGone(
                    f"the phone left the bus while the reset was being started ({exc})"
                ) from exc
            evidence.append(
                EvidenceItem("erase", "reboot_recovery", "reboot:recovery", "OKAY", True)
            )
        else:
            maker = self._usb.manufacturer if self._usb and self._usb.manufacturer else ""
            keys = guidance.keys_for(maker)
            await _say(progress, f"Reset: guided recovery. {keys}")
            evidence.append(
                EvidenceItem(
                    "erase", "guided_keys", "technician: recovery key combination", keys, True
                )
            )
        await _say(progress, guidance.IN_RECOVERY)
        return evidence

    def _reboot_recovery(self) -> None:
        adb = self._ensure()
        try:
            # adb-shell's reboot() offers only "reboot:" and "reboot:bootloader"; it opens the
            # service and waits for OKAY, which is what we do for "reboot:recovery". The OKAY
            # proves the phone took the request before it went down.
            adb._open(b"reboot:recovery", 2.0, 5.0, None)
        except (adb_errors.AdbTimeoutError, adb_errors.TcpTimeoutException) as exc:
            raise DriverError("the phone did not accept the reboot to recovery") from exc
        finally:
            self._drop()

    # -- wait -----------------------------------------------------------------------------
    def _on_port(self) -> tuple[Any, UsbKind | None]:
        """The device on this phone's port now and what it is (None: nothing there), from the
        bus listing every waiting phone shares."""
        dev = bus_snapshot(self.backend).device_at(self.port_path)
        return dev, (describe(dev).kind if dev is not None else None)

    async def wait_for_return(self, timeout_s: float, progress: Progress) -> list[EvidenceItem]:
        """Wait until the phone left the bus and came back as a new enumeration.

        Test Harness comes back with ADB (the station's key restored); guided recovery and the
        broadcast come back in the setup wizard, where debugging is off (MTP only). An ADB
        interface while a guided reset runs is recovery's adbd ("recovery"/"unauthorized" in
        `adb devices`), never taken for the returned phone.
        """
        deadline = time.monotonic() + timeout_s
        left = False
        told_recovery_adb = False
        evidence: list[EvidenceItem] = []
        wants = {UsbKind.ADB, UsbKind.MTP} if self.route == ROUTE_TEST_HARNESS else {UsbKind.MTP}
        await _say(progress, "Waiting for the phone to restart…")
        while time.monotonic() < deadline:
            dev, kind = await self._io(self._on_port)
            # A restarted phone re-enumerates with a new bus address, even if it was quicker
            # than our polling.
            if kind is None or (dev is not None and dev.address != self._address_before_reset):
                left = True
            if left and kind in wants:
                self._returned, self._fresh_return = kind, True
                how = "ADB (station key kept)" if kind is UsbKind.ADB else "MTP only"
                evidence.append(
                    EvidenceItem(
                        "wait",
                        "returned",
                        "usb",
                        f"left the bus and came back as a new device: {how}",
                        True,
                    )
                )
                return evidence
            if left and kind is UsbKind.ADB and not told_recovery_adb:
                told_recovery_adb = True
                evidence.append(
                    EvidenceItem(
                        "wait",
                        "recovery_adb",
                        "usb",
                        "ADB interface while resetting (recovery/unauthorized): "
                        "not taken as the returned phone",
                        True,
                    )
                )
            await asyncio.sleep(0.25)
        if not left:
            raise DriverError(f"the phone did not restart within {timeout_s:.0f} s")
        raise DriverError(f"the phone did not come back within {timeout_s:.0f} s")

    # -- verify ---------------------------------------------------------------------------
    def _verify(self, on_prompt: Callable[[], None]) -> VerifyResult:
        """Read the factory state back over ADB with the key Test Harness Mode kept."""
        evidence: list[EvidenceItem] = []
        self._drop()
        self._adb = self._connect(on_prompt)
        kept = not self.signer.public_key_sent
        evidence.append(
            EvidenceItem(
                "verify",
                "station_key_kept",
                "AUTH SIGNATURE (station key)",
                "signature accepted (Test Harness Mode restored the station's key)"
                if kept
                else "the phone asked for authorisation again",
                True,  # either way the station reads the phone; the checks below decide
            )
        )

        def expect(check: str, good: Callable[[str], bool]) -> str:
            out, item = self._shell("verify", check)
            evidence.append(EvidenceItem("verify", check, item.request, item.response, good(out)))
            return out

        expect("test_harness_flag", lambda o: o == "1")
        expect("setup_complete", lambda o: o == "1")  # what Test Harness Mode leaves
        expect("accounts", lambda o: o == "0")
        expect("users", lambda o: o == "1")
        expect("user_apps", lambda o: o == "0")
        expect("user_files", lambda o: o == "0")
        if self.sdk >= LIST_OWNERS_SDK:
            expect("owners", lambda o: readings.owners_from_dpm(o) is False)
        else:
            expect("device_owner_legacy", lambda o: o == "0")
        after = readings.count(self._shell("verify", "boot_count")[0])
        before = self._boot_count_before
        evidence.append(
            EvidenceItem(
                "verify",
                "boot_count_restarted",
                allowlist.SHELL["boot_count"],
                f"before {before}, after {after}",
                before is not None and after is not None and after < before,
            )
        )
        android_id = self._shell("verify", "android_id")[0]
        changed = readings.commitment(self._salt, android_id) != self._android_id_before
        evidence.append(
            EvidenceItem(
                "verify",
                "android_id_changed",
                allowlist.SHELL["android_id"],
                "changed (compared as salted hashes)" if changed else "unchanged",
                changed and self._android_id_before is not None,
            )
        )
        crypto = expect("crypto_state", lambda o: True)
        encrypted = crypto == "encrypted"
        self._drop()
        failed = [e.check for e in evidence if not e.ok]
        erasure_class = "purge" if encrypted else "clear"
        if failed:
            reason = "not erased: " + ", ".join(failed)
            if {"boot_count_restarted", "android_id_changed"} & set(failed):
                reason += " (the phone restarted but was not reset)"
            return VerifyResult(Outcome.FAILED, reason, tuple(evidence), erasure_class)
        return self._read_back("factory state read back over ADB", evidence, encrypted)

    def _read_back(self, said: str, evidence: list[EvidenceItem], encrypted: bool) -> VerifyResult:
        """A Test Harness reset's factory state, read back over ADB: level READBACK."""
        note = "" if encrypted else " (storage not encrypted: NIST Clear only)"
        return VerifyResult(
            Outcome.VERIFIED,
            said + note,
            tuple(evidence),
            "purge" if encrypted else "clear",
            level=VerificationLevel.READBACK,
            activation_lock=ActivationLock.NOT_LOCKED,
            activation_lock_reason="Test Harness Mode skips the setup wizard; " + self._lock_line(),
        )

    def _lock_line(self) -> str:
        if self.lock_findings is None:
            return "owner-lock accounts not read before the reset (USB debugging off)"
        return self.lock_findings.line()

    async def _attested(self, progress: Progress | None, attest: Attest | None) -> VerifyResult:
        erasure_class = "purge" if self.encrypted else "clear"
        if not self._fresh_return:
            return VerifyResult(
                Outcome.FAILED, "the station did not see the phone reset", (), erasure_class
            )
        if attest is None:
            return VerifyResult(
                Outcome.FAILED,
                "a guided reset needs the technician to confirm the phone's screen",
                (),
                erasure_class,
            )
        await _say(progress, guidance.QUESTION)
        seen = await attest(guidance.QUESTION)
        item = EvidenceItem(
            "verify",
            "screen_attested",
            "technician: what the screen shows",
            seen.value,
            seen is ScreenSeen.WELCOME,
        )
        if seen is ScreenSeen.WELCOME:
            return VerifyResult(
                Outcome.VERIFIED,
                "the phone left the bus, came back reset, and shows the setup wizard "
                "(confirmed by the technician)",
                (item,),
                erasure_class,
                level=VerificationLevel.ATTESTED,
                activation_lock=ActivationLock.NOT_LOCKED,
                activation_lock_reason="the setup wizard's Welcome screen, not 'Verify your "
                "account'; " + self._lock_line(),
            )
        if seen is ScreenSeen.OWNER_LOCK:
            return VerifyResult(
                Outcome.FAILED,
                "erased but locked to the owner's Google account ('Verify your account', FRP): "
                "goes back to the customer to release it",
                (item,),
                erasure_class,
                reusable=False,
                activation_lock=ActivationLock.LOCKED,
                activation_lock_reason="'Verify your account' after the reset (FRP)",
                quarantine=True,
            )
        return VerifyResult(
            Outcome.FAILED,
            "not erased: the phone does not show the setup wizard after the reset",
            (item,),
            erasure_class,
        )

    async def verify(
        self, progress: Progress | None = None, attest: Attest | None = None
    ) -> VerifyResult:
        if self.route == ROUTE_TEST_HARNESS and self._returned is UsbKind.ADB:
            loop = asyncio.get_running_loop()

            def on_prompt() -> None:
                asyncio.run_coroutine_threadsafe(_say(progress, ALLOW_PROMPT), loop)

            return await self._io(self._verify, on_prompt)
        return await self._attested(progress, attest)

    # -- judge a phone a stopped station left mid-erase -------------------------------------
    def _factory_readback(self, before: Before) -> ReturnVerdict:
        """Key accepted: read the phone's state back, with nothing from the erase but what the
        records kept (``before``). Test Harness Mode is the only reset that keeps the key, and
        sets persist.sys.test_harness; a phone that kept the key without it was not wiped."""
        evidence: list[EvidenceItem] = [
            EvidenceItem(
                "verify",
                "station_key_kept",
                "AUTH SIGNATURE (station key)",
                "signature accepted without a new prompt",
                True,
            )
        ]

        def read(check: str, good: Callable[[str], bool]) -> bool:
            out, item = self._shell("verify", check)
            ok = good(out)
            evidence.append(EvidenceItem("verify", check, item.request, item.response, ok))
            return ok

        harness = read("test_harness_flag", lambda o: o == "1")
        factory = [
            read("setup_complete", lambda o: o == "1"),
            read("accounts", lambda o: o == "0"),
            read("users", lambda o: o == "1"),
            read("user_apps", lambda o: o == "0"),
            read("user_files", lambda o: o == "0"),
            read("owners", lambda o: readings.owners_from_dpm(o) is False)
            if self.sdk >= LIST_OWNERS_SDK
            else read("device_owner_legacy", lambda o: o == "0"),
        ]
        after = readings.count(self._shell("verify", "boot_count")[0])
        restarted = (
            before.boot_count is not None and after is not None and after < before.boot_count
        )
        evidence.append(
            EvidenceItem(
                "verify",
                "boot_count_restarted",
                allowlist.SHELL["boot_count"],
                f"before {before.boot_count} (kept in the records), after {after}",
                restarted,
            )
        )
        encrypted = self._shell("verify", "crypto_state")[0] == "encrypted"
        self._drop()
        user_data = not all(factory[1:5])
        if not harness or user_data:
            why = "Test Harness Mode is off" if not harness else "user data is still there"
            return ReturnVerdict(
                Returned.NOT_RESET,
                f"came back not reset: the station's key still works and {why}",
                tuple(evidence),
            )
        if not all(factory) or (before.boot_count is not None and not restarted):
            failed = ", ".join(e.check for e in evidence if not e.ok)
            return ReturnVerdict(
                Returned.UNSURE,
                f"came back in Test Harness Mode but not all of the factory state reads back "
                f"({failed})",
                tuple(evidence),
            )
        verified = self._read_back(
            "came back after the station stopped: factory state read back over ADB",
            evidence,
            encrypted,
        )
        return ReturnVerdict(Returned.RESET, verified.reason, (), verified)

    async def judge_return(
        self, before: Before, progress: Progress, attest: Attest | None
    ) -> ReturnVerdict:
        """A phone whose erasure a stopped station left interrupted, back on the bus (after
        ``identify``). Reset: Test Harness's factory state read back with the kept key, or a
        phone that had ADB and returns without it (the setup wizard's default) whose Welcome
        screen the technician confirms. Not reset: the station's key still works outside Test
        Harness Mode, or the technician sees the owner's phone. Anything else: unsure."""
        self.route = before.route
        self.method_used = METHODS.get(before.route, "")
        if self.adb_ready and not self.signer.public_key_sent:
            return await self._io(self._factory_readback, before)
        if self.adb_ready:
            return ReturnVerdict(
                Returned.NOT_RESET,
                "came back not reset: USB debugging is on and the owner allowed this station "
                "again (a reset phone starts with debugging off)",
                (),
            )
        kind = self._usb.kind.value if self._usb else "unknown"
        item = EvidenceItem(
            "verify",
            "returned_without_adb",
            "usb",
            f"back as a new device without this station's ADB ({kind}); "
            + ("it had ADB before the stop" if before.had_adb else "it had no ADB before either"),
            before.had_adb,
        )
        if not before.had_adb:
            return ReturnVerdict(
                Returned.UNSURE,
                "the station cannot tell from USB whether it was reset (it had no ADB before)",
                (item,),
            )
        if attest is None:
            return ReturnVerdict(
                Returned.UNSURE,
                "came back without ADB, as a reset phone does; nobody confirmed its screen",
                (item,),
            )
        self._fresh_return = True  # it left the bus and came back as a new, unauthorised device
        verified = await self._attested(progress, attest)
        if verified.outcome is Outcome.VERIFIED or verified.quarantine:
            return ReturnVerdict(Returned.RESET, verified.reason, (item,), verified)
        return ReturnVerdict(
            Returned.NOT_RESET,
            "came back not reset: the technician sees no setup wizard",
            (item, *verified.evidence),
        )
