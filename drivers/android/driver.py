"""The Android driver: identify, check blockers, reset and verify a phone over ADB on USB.

Every request comes from `allowlist`; every answer the station keeps is an EvidenceItem. The ADB
client is the real adb-shell, on a pyusb transport, so the lab and a real hub take the same path.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adb_shell import exceptions as adb_errors
from adb_shell.adb_device import AdbDevice

from drivers.android import allowlist
from drivers.android.keys import RecordingSigner, load_or_create
from drivers.android.usb_transport import PyUsbTransport
from drivers.contract import (
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
    UsbKind,
    VerifyResult,
)
from drivers.usb.discovery import describe, find_device

MAX_EVIDENCE_CHARS = 500
SIM_ABSENT = {"", "ABSENT", "NOT_READY", "UNKNOWN"}

ENABLE_DEBUGGING = (
    "USB debugging is off. On the phone: Settings > About phone, tap Build number 7 times, "
    "then Settings > System > Developer options > USB debugging ON. Do not finish setup."
)
ALLOW_PROMPT = "Tap 'Allow' on the phone's 'Allow USB debugging?' prompt (tick 'Always allow')."


@dataclass(frozen=True)
class ResetMethod:
    name: str
    needs: str
    technician: str


RESET_METHODS = (
    ResetMethod(
        "factory_reset_broadcast",
        "an engineering/userdebug build that lets the ADB shell request a factory reset",
        "Nothing: the phone resets by itself.",
    ),
    ResetMethod(
        "recovery",
        "any phone: reboots into the recovery menu",
        "In the recovery menu: volume keys to 'Wipe data/factory reset', power to confirm, "
        "then 'Reboot system now'.",
    ),
)


def _trim(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_EVIDENCE_CHARS else text[:MAX_EVIDENCE_CHARS] + "…"


async def _say(progress: Progress, message: str) -> None:
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
        self.encrypted: bool | None = None
        self._address_before_reset: int | None = None

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

    # -- identify -------------------------------------------------------------------------
    def _identify(self) -> tuple[DeviceFacts, list[EvidenceItem]]:
        evidence = []
        for check in (
            "manufacturer",
            "model",
            "device",
            "serial",
            "android_version",
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

    async def identify(self) -> tuple[DeviceFacts, list[EvidenceItem]]:
        return await asyncio.to_thread(self._identify)

    # -- blockers -------------------------------------------------------------------------
    def _blockers(self) -> tuple[list[Blocker], list[EvidenceItem]]:
        blockers: list[Blocker] = []
        evidence: list[EvidenceItem] = []

        def record(check: str, clear: bool) -> str:
            out, item = self._shell("blockers", check)
            evidence.append(EvidenceItem(item.step, item.check, item.request, item.response, clear))
            return out

        google = self._shell("blockers", "google_accounts")[0]
        has_google = google.isdigit() and int(google) > 0
        evidence.append(
            EvidenceItem(
                "blockers",
                "frp_account",
                allowlist.SHELL["google_accounts"],
                google,
                not has_google,
            )
        )
        if has_google:
            blockers.append(
                Blocker(
                    BlockerCode.FRP_ACCOUNT,
                    f"{google} Google account(s) signed in: a reset would leave it FRP-locked",
                    "On the phone: Settings > Accounts: remove every Google account; re-check.",
                )
            )
        owners = self._shell("blockers", "owners")[0]
        managed = "DeviceOwner" in owners or "ProfileOwner" in owners
        evidence.append(
            EvidenceItem("blockers", "mdm", allowlist.SHELL["owners"], _trim(owners), not managed)
        )
        if managed:
            blockers.append(
                Blocker(
                    BlockerCode.MDM,
                    "managed by an MDM (device owner): the employer must release it",
                    "Ask the customer's MDM admin to retire/wipe the device, then re-check.",
                )
            )
        sim = self._facts.get("sim_state") or record("sim_state", True)
        present = any(s.strip() not in SIM_ABSENT for s in sim.split(","))
        evidence.append(
            EvidenceItem("blockers", "sim_present", allowlist.SHELL["sim_state"], sim, not present)
        )
        if present:
            blockers.append(
                Blocker(
                    BlockerCode.SIM_PRESENT,
                    "a SIM card is still inside",
                    "Remove the SIM tray and take the SIM out (return it to the customer).",
                )
            )
        level = re.search(r"level:\s*(\d+)", self._facts.get("battery", ""))
        if level and int(level.group(1)) < self.low_battery:
            blockers.append(
                Blocker(
                    BlockerCode.BATTERY_LOW,
                    f"battery at {level.group(1)} %: a reset may not finish",
                    f"Charge the phone to at least {self.low_battery} %, then re-check.",
                )
            )
        evidence.append(
            EvidenceItem(
                "blockers",
                "battery",
                allowlist.SHELL["battery"],
                self._facts.get("battery", ""),
                not (level and int(level.group(1)) < self.low_battery),
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
        return blockers, evidence

    async def blockers(self) -> tuple[list[Blocker], list[EvidenceItem]]:
        return await asyncio.to_thread(self._blockers)

    # -- erase ----------------------------------------------------------------------------
    async def erase(self, progress: Progress) -> list[EvidenceItem]:
        evidence: list[EvidenceItem] = []
        dev = await asyncio.to_thread(find_device, self.backend, self.port_path)
        self._address_before_reset = dev.address if dev is not None else None
        method = RESET_METHODS[0]
        await _say(progress, f"Reset: trying {method.name} (needs {method.needs})")
        out, item = await asyncio.to_thread(self._shell, "erase", method.name)
        accepted = "Broadcast completed" in out and "Exception" not in out
        evidence.append(EvidenceItem("erase", method.name, item.request, item.response, accepted))
        if accepted:
            self.method_used = "Factory reset requested over ADB (userdebug build)"
            await _say(progress, method.technician)
            self._drop()
            return evidence
        method = RESET_METHODS[1]
        await _say(progress, f"Reset: {method.name} ({method.needs})")
        try:
            await asyncio.to_thread(self._reboot_recovery)
        except DeviceGone as exc:
            raise DeviceGone(
                f"the phone left the bus while the reset was being started ({exc})"
            ) from exc
        evidence.append(EvidenceItem("erase", "reboot_recovery", "reboot:recovery", "OKAY", True))
        self.method_used = "Factory reset from the recovery menu (Wipe data/factory reset)"
        await _say(progress, method.technician)
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
    async def wait_for_return(self, timeout_s: float, progress: Progress) -> list[EvidenceItem]:
        deadline = time.monotonic() + timeout_s
        left = False
        told_debugging = False
        await _say(progress, "Waiting for the phone to restart…")
        while time.monotonic() < deadline:
            dev = await asyncio.to_thread(find_device, self.backend, self.port_path)
            kind = describe(dev).kind if dev is not None else None
            # A restarted phone re-enumerates with a new bus address, even if it was quicker
            # than our polling.
            if kind is None or (dev is not None and dev.address != self._address_before_reset):
                left = True
            if kind is None:
                pass
            elif left and kind is UsbKind.ADB:
                return [EvidenceItem("wait", "returned", "usb", "ADB interface present", True)]
            elif left and kind is UsbKind.MTP and not told_debugging:
                told_debugging = True
                await _say(progress, ENABLE_DEBUGGING)
            await asyncio.sleep(0.25)
        if not left:
            raise DriverError(f"the phone did not restart within {timeout_s:.0f} s")
        raise DriverError(f"the phone did not come back within {timeout_s:.0f} s")

    # -- verify ---------------------------------------------------------------------------
    def _verify(self, on_prompt: Callable[[], None]) -> VerifyResult:
        evidence: list[EvidenceItem] = []
        self._drop()
        self._adb = self._connect(on_prompt)
        forgot_us = self.signer.public_key_sent
        evidence.append(
            EvidenceItem(
                "verify",
                "station_key_forgotten",
                "AUTH SIGNATURE (station key)",
                "signature refused; new authorisation required"
                if forgot_us
                else "signature accepted: the phone still trusts this station",
                forgot_us,
            )
        )

        def expect(check: str, good: Callable[[str], bool]) -> None:
            out, item = self._shell("verify", check)
            evidence.append(EvidenceItem("verify", check, item.request, item.response, good(out)))

        expect("setup_complete", lambda o: o in ("0", "null"))
        expect("accounts", lambda o: o == "0")
        expect("users", lambda o: o == "1")
        expect("third_party_apps", lambda o: o == "0")
        expect("user_files", lambda o: o == "0")
        expect("owners", lambda o: "Owner" not in o)
        expect("crypto_state", lambda o: True)
        encrypted = evidence[-1].response == "encrypted"
        self._drop()
        failed = [e.check for e in evidence if not e.ok]
        erasure_class = "purge" if encrypted else "clear"
        if failed:
            reason = "not erased: " + ", ".join(failed)
            if "station_key_forgotten" in failed:
                reason += " (the phone still trusts this station: it was not reset)"
            return VerifyResult(Outcome.FAILED, reason, tuple(evidence), erasure_class)
        note = "" if encrypted else " (storage not encrypted: NIST Clear only)"
        return VerifyResult(
            Outcome.VERIFIED, "factory state confirmed" + note, tuple(evidence), erasure_class
        )

    async def verify(self, progress: Progress | None = None) -> VerifyResult:
        loop = asyncio.get_running_loop()

        def on_prompt() -> None:
            if progress is not None:
                asyncio.run_coroutine_threadsafe(_say(progress, ALLOW_PROMPT), loop)

        return await asyncio.to_thread(self._verify, on_prompt)
