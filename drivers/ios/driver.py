"""IosDriver: one attached iPhone through usbmuxd and pymobiledevice3, per drivers.contract."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pymobiledevice3.exceptions import MissingValueError

from drivers.contract import (
    ActivationLock,
    Attest,
    Before,
    Blocker,
    DeviceFacts,
    DeviceGone,
    DriverError,
    EvidenceItem,
    Outcome,
    Platform,
    Progress,
    Returned,
    ReturnVerdict,
    VerifyResult,
)
from drivers.ios import activation_lock, checks
from drivers.ios.discovery import SYSTEM_USBMUXD, MuxEventKind
from drivers.ios.erase import (
    PasscodeNeeded,
    erase_via_mcinstall,
    erase_via_mobilebackup2,
    read_mcinstall,
)
from drivers.ios.errors import translated
from drivers.ios.evidence import get_value_request, item
from drivers.ios.lockdown import GuardedLockdown, open_lockdown
from drivers.ios.models import marketing_name
from drivers.ios.muxhub import MuxHub, Subscription
from drivers.ios.nvram import read_nvram
from drivers.ios.pairing import TrustState, ensure_trust
from drivers.ios.progress import ERASING, RETURNED, WAITING, say
from drivers.ios.records import PairRecordStore
from drivers.ios.stale_pairing import old_pairing_rejected
from drivers.ios.usb_port import port_from_location
from drivers.ios.verification import verify_returned_phone

MCINSTALL_START = "lockdown StartService Service=com.apple.mobile.MCInstall"
FACT_KEYS = (
    "ProductType",
    "ProductVersion",
    "BuildVersion",
    "SerialNumber",
    "UniqueDeviceID",
    "InternationalMobileEquipmentIdentity",
    "InternationalMobileEquipmentIdentity2",
    "ActivationState",
)

ROUTE_METHODS = {
    "mcinstall": "EraseDevice through MobileConfig (supervised)",
    "mobilebackup2": "EraseDevice through the mobilebackup2 DeviceLink",
}


class IosDriver:
    """Construct one per attached UDID; call identify → blockers → erase → wait_for_return →
    verify. After any failure, verify() returns the recorded outcome without touching the phone.
    """

    platform = Platform.IOS

    def __init__(
        self,
        udid: str,
        pair_records_dir: Path,
        *,
        usbmux_address: str = SYSTEM_USBMUXD,
        progress: Progress | None = None,
        trust_timeout_s: float = 120.0,
        poll_s: float = 1.0,
        usb_backend: Any = None,
    ) -> None:
        self.udid = udid
        # The pyusb backend of the bus the phone is on (libusb on a station): its port path.
        self.usb_backend = usb_backend
        self.port_path = ""
        self.usbmux_address = usbmux_address
        self.store = PairRecordStore(pair_records_dir)
        self.progress = progress
        self.trust_timeout_s = trust_timeout_s
        self.poll_s = poll_s
        self.trust: TrustState | None = None
        self.facts: DeviceFacts | None = None
        self._client: GuardedLockdown | None = None
        self._supervised: bool | None = None  # known once MCInstall was asked
        self._watcher: Subscription | None = None
        # The station's shared usbmuxd listener, held from the first connection to close().
        self._hub: MuxHub | None = None
        self._returned = False
        self._failure: tuple[Outcome, str, list[EvidenceItem]] | None = None
        self.method_used = ""
        self.route = ""
        # Before pairing: the station's pair record from earlier, and whether the phone still
        # accepted it (for judging a phone a stopped station left mid-erase).
        self._record_before: dict[str, Any] | None = None
        self._kept_pairing = False
        # (rejected, answer) of that record, probed before pairing again: the station has one
        # host identity, so once paired again the old record's HostID is known to the phone.
        self._old_pairing: tuple[bool, str] | None = None

    # --- connection -----------------------------------------------------------------------
    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._watcher is not None:
            await self._watcher.close()
            self._watcher = None
        if self._hub is not None:
            await self._hub.release()
            self._hub = None

    async def pair(self, progress: Progress | None = None) -> tuple[TrustState, EvidenceItem]:
        """Open lockdown and get trusted; tells the technician what to do while it waits."""
        if self._client is None:
            self._record_before = self.store.load(self.udid)
        client = await self._lockdown()
        self._kept_pairing = client.paired
        if not client.paired and self._record_before is not None and self._old_pairing is None:
            try:
                self._old_pairing = await old_pairing_rejected(
                    self.udid,
                    self.usbmux_address,
                    self.store,
                    self._record_before,
                    10.0,
                    hub=await self._shared_hub(),
                )
            except DeviceGone:
                raise
            except DriverError:
                pass  # not known: an interrupted phone is then unsure, never taken as reset
        state, answer = await self._guard(
            ensure_trust(client, progress or self.progress, self.trust_timeout_s, self.poll_s)
        )
        self.trust = state
        return state, item(
            "identify", "pairing", "lockdown Pair", answer, state is TrustState.PAIRED
        )

    async def _lockdown(self) -> GuardedLockdown:
        if self._client is None:
            self._client = await self._guard(self._open())
        return self._client

    async def _open(self) -> GuardedLockdown:
        with translated("connecting to the phone's lockdown service"):
            return await open_lockdown(
                self.udid, self.usbmux_address, self.store, hub=await self._shared_hub()
            )

    async def _shared_hub(self) -> MuxHub:
        if self._hub is None:
            self._hub = await MuxHub.acquire(self.usbmux_address)
        return self._hub

    async def _guard(self, awaitable: Any) -> Any:
        """Remember the first failure so verify() can report it; re-raise for the caller."""
        try:
            return await awaitable
        except DeviceGone as exc:
            self._fail(Outcome.INTERRUPTED, str(exc))
            raise
        except DriverError as exc:
            self._fail(Outcome.FAILED, str(exc))
            raise

    def _fail(
        self, outcome: Outcome, reason: str, evidence: list[EvidenceItem] | None = None
    ) -> None:
        if self._failure is None:
            self._failure = (outcome, reason, list(evidence or []))

    async def _value(
        self, domain: str | None, key: str | None, step: str, check: str
    ) -> tuple[Any, EvidenceItem]:
        client = await self._lockdown()
        with translated(f"reading {key or domain}"):
            try:
                value = await client.get_value(domain, key)
            except MissingValueError:
                value = None
        return value, item(step, check, get_value_request(domain, key), value, value is not None)

    # --- contract -------------------------------------------------------------------------
    async def identify(self) -> tuple[DeviceFacts, list[EvidenceItem]]:
        state, pairing = await self.pair()
        location = (await self._shared_hub()).location(self.udid)
        self.port_path = await asyncio.to_thread(port_from_location, location, self.usb_backend)
        evidence = [pairing]
        if state is TrustState.PAIRED:
            values: dict[str, Any] = {}
            for key in FACT_KEYS:
                values[key], ev = await self._guard(self._value(None, key, "identify", key))
                evidence.append(ev)
            disk, ev = await self._guard(
                self._value("com.apple.disk_usage", None, "identify", "capacity")
            )
            evidence.append(ev)
            capacity = (disk or {}).get("TotalDiskCapacity")
        else:
            # Untrusted: only what a phone shows any host (no serial, IMEI or activation state).
            assert self._client is not None
            values = dict(self._client.all_values)
            evidence.append(
                item(
                    "identify",
                    "public_values",
                    "lockdown GetValue (no session)",
                    {k: values.get(k) for k in ("ProductType", "ProductVersion", "UniqueDeviceID")},
                    True,
                )
            )
            capacity = None
        imeis = tuple(
            str(values[k])
            for k in (
                "InternationalMobileEquipmentIdentity",
                "InternationalMobileEquipmentIdentity2",
            )
            if values.get(k)
        )
        product_type = str(values.get("ProductType") or "")
        self.facts = DeviceFacts(
            platform=Platform.IOS,
            manufacturer="Apple",
            model=marketing_name(product_type),
            model_code=product_type,
            serial=str(values.get("SerialNumber") or ""),
            os_version=str(values.get("ProductVersion") or ""),
            imeis=imeis,
            udid=str(values.get("UniqueDeviceID") or self.udid),
            build=values.get("BuildVersion"),
            storage_bytes=int(capacity) if capacity is not None else None,
            encrypted=True,  # iOS data protection: every iPhone the station handles encrypts
            activation_state=values.get("ActivationState"),
        )
        return self.facts, evidence

    async def blockers(self) -> tuple[list[Blocker], list[EvidenceItem]]:
        if self.trust is not TrustState.PAIRED:
            await self.pair()  # a re-check after the technician unlocked or tapped Trust
        assert self.trust is not None
        trust = checks.trust_blocker(self.trust)
        if trust is not None:
            return [trust], [item("blockers", "trust", "lockdown Pair", self.trust.value, False)]
        try:
            cloud, profiles = await self._mcinstall()
        except PasscodeNeeded:
            blocker = checks.LOCKED_SINCE_RESTART
            answer = "StartService: PasswordProtected"
            return [blocker], [item("blockers", "passcode", MCINSTALL_START, answer, False)]
        except DriverError as exc:
            self._fail(
                Outcome.INTERRUPTED if isinstance(exc, DeviceGone) else Outcome.FAILED, str(exc)
            )
            raise
        self._supervised = bool(cloud.get("IsSupervised"))
        evidence: list[EvidenceItem] = []
        lock_blocker, ev_lock = await self._activation_lock()
        evidence += ev_lock
        sim, ev_sim = await self._guard(self._value(None, "SIMStatus", "blockers", "sim"))
        tray, ev_tray = await self._guard(
            self._value(None, "SIMTrayStatus", "blockers", "sim_tray")
        )
        evidence += [ev_sim, ev_tray]
        evidence.append(
            item(
                "blockers",
                "supervision",
                "com.apple.mobile.MCInstall GetCloudConfiguration",
                cloud or "none",
                True,
            )
        )
        evidence.append(
            item(
                "blockers",
                "mdm_profiles",
                "com.apple.mobile.MCInstall GetProfileList",
                sorted(profiles.get("ProfileMetadata") or {}),
                True,
            )
        )
        found = [b for b in (lock_blocker, checks.sim_blocker(sim, tray)) if b is not None]
        found += checks.mdm_blockers(cloud, profiles)
        return found, evidence

    async def _activation_lock(self) -> tuple[Blocker | None, list[EvidenceItem]]:
        """NVRAM flags first; IsAssociated only counts when it says true (it lies false)."""
        client = await self._lockdown()
        nvram = await self._guard(read_nvram(client))
        associated, ev_fmip = await self._guard(
            self._value("com.apple.fmip", "IsAssociated", "blockers", "find_my_associated")
        )
        lock, why = activation_lock.judge(nvram, associated)
        ev_lock = item(
            "blockers",
            "activation_lock",
            "lockdown GetValue Key=NonVolatileRAM (fm-activation-locked, fm-spstatus)",
            f"{lock.value}: {why}",
            lock is ActivationLock.NOT_LOCKED,
        )
        return checks.activation_lock_blocker(lock, why), [ev_lock, ev_fmip]

    async def _mcinstall(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return await read_mcinstall(await self._lockdown())

    async def erase(self, progress: Progress) -> list[EvidenceItem]:
        if self.trust is not TrustState.PAIRED:
            raise DriverError("The iPhone has not trusted the station; it cannot be erased yet.")
        client = await self._lockdown()
        if self._supervised is None:  # blockers() was skipped: ask which route the phone allows
            cloud, _ = await self._guard(self._mcinstall())
            self._supervised = bool(cloud.get("IsSupervised"))
        route = erase_via_mcinstall if self._supervised else erase_via_mobilebackup2
        self.route = "mcinstall" if self._supervised else "mobilebackup2"
        self.method_used = ROUTE_METHODS[self.route]
        # Subscribe before erasing: the phone may leave the bus before the erase call returns.
        hub = await self._guard(MuxHub.acquire(self.usbmux_address))  # held by the subscription
        self._watcher = hub.subscribe(self.udid)
        await say(progress, ERASING)
        try:
            evidence = await self._guard(route(client))
        finally:
            await client.close()
            self._client = None
        return [evidence]

    async def wait_for_return(self, timeout_s: float, progress: Progress) -> list[EvidenceItem]:
        if self._watcher is None:
            raise DriverError("wait_for_return() without a started erase")
        await say(progress, WAITING)
        deadline = time.monotonic() + timeout_s
        left = False
        while True:
            event = await self._guard(self._next_event(deadline))
            if event is None:
                reason = (
                    f"The iPhone did not come back within {timeout_s:.0f} s after the "
                    "erase; check it by hand (it may be stuck or need a restore)."
                )
                ev = item("erase", "returned", "usbmuxd Listen", "no Attached event", False)
                self._fail(Outcome.FAILED, reason, [ev])
                return [ev]
            if event.udid != self.udid:
                continue
            if event.kind is MuxEventKind.DETACHED:
                left = True
            elif left:
                break
        await self._watcher.close()
        self._watcher = None
        self._returned = True
        await say(progress, RETURNED)
        return [
            item("erase", "left_bus", "usbmuxd Listen", "Detached", True),
            item(
                "erase", "returned", "usbmuxd Listen", f"Attached DeviceID={event.device_id}", True
            ),
        ]

    async def _next_event(self, deadline: float) -> Any:
        assert self._watcher is not None
        return await self._watcher.next_event(deadline - time.monotonic())

    async def verify(
        self, progress: Progress | None = None, attest: Attest | None = None
    ) -> VerifyResult:
        if self._failure is not None:
            outcome, reason, evidence = self._failure
            return VerifyResult(outcome, reason, tuple(evidence), reusable=False)
        if not self._returned:
            return VerifyResult(
                Outcome.FAILED,
                "verify() before the phone returned from an erase",
                (),
                reusable=False,
            )
        try:
            return await verify_returned_phone(
                self.udid, self.usbmux_address, self.store, self.facts, hub=self._hub
            )
        except DeviceGone as exc:
            return VerifyResult(Outcome.INTERRUPTED, str(exc), (), reusable=False)
        except DriverError as exc:
            return VerifyResult(Outcome.FAILED, str(exc), (), reusable=False)

    async def judge_return(
        self, before: Before, progress: Progress, attest: Attest | None
    ) -> ReturnVerdict:
        """A phone whose erasure a stopped station left interrupted, back on the bus (after
        ``identify``). Still accepting the station's pairing from before: not reset. Refusing
        it, at the Setup Assistant and unactivated: reset, read back as after an erase this
        station saw (verification.py). Anything else: unsure."""
        self.route = before.route
        self.method_used = ROUTE_METHODS.get(before.route, "")
        if self._kept_pairing:
            evidence = item(
                "verify",
                "old_pairing_rejected",
                "lockdown StartSession (the station's pair record from before the stop)",
                "session started: the phone still trusts the station",
                False,
            )
            return ReturnVerdict(
                Returned.NOT_RESET,
                "came back not reset: it still accepts the station's pairing from before",
                (evidence,),
            )
        if self._record_before is None or self._old_pairing is None:
            return ReturnVerdict(
                Returned.UNSURE, "no pairing from before the stop to test the phone against"
            )
        if self.trust is not TrustState.PAIRED:
            return ReturnVerdict(
                Returned.UNSURE,
                "it refuses the station's old pairing but asks to be trusted (a phone at the "
                "Setup Assistant pairs without asking)",
            )
        try:
            verified = await verify_returned_phone(
                self.udid,
                self.usbmux_address,
                self.store,
                self.facts,
                hub=self._hub,
                old_record=self._record_before,
                old_pairing=self._old_pairing,
            )
        except DriverError as exc:
            if isinstance(exc, DeviceGone):
                raise
            return ReturnVerdict(Returned.UNSURE, f"could not read it back: {exc}")
        if verified.outcome is Outcome.VERIFIED:
            return ReturnVerdict(Returned.RESET, verified.reason, (), verified)
        return ReturnVerdict(
            Returned.UNSURE, f"refuses the old pairing, but: {verified.reason}", verified.evidence
        )
