"""One emulated iPhone: its state, the values lockdownd exposes, and what it was asked."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drivers.emulated.ios import owner
from drivers.emulated.ios.pki import DeviceKey
from drivers.emulated.ios.profile import Fault, IosProfile, Sim, Trust

# Keys a real lockdownd answers before any host is paired (no session).
UNPAIRED_KEYS = (
    "BasebandVersion",
    "BuildVersion",
    "ChipID",
    "DeviceClass",
    "DeviceColor",
    "DeviceName",
    "DevicePublicKey",
    "HardwareModel",
    "ProductName",
    "ProductType",
    "ProductVersion",
    "ProtocolVersion",
    "TelephonyCapability",
    "UniqueChipID",
    "UniqueDeviceID",
    "WiFiAddress",
)

SIM_STATUS = {
    Sim.NONE: ("kCTSIMSupportSIMStatusNotInserted", "kCTSIMSupportSIMTrayNotInserted"),
    Sim.PHYSICAL: ("kCTSIMSupportSIMStatusReady", "kCTSIMSupportSIMTrayInsertedWithSIM"),
    Sim.ESIM: ("kCTSIMSupportSIMStatusReady", "kCTSIMSupportSIMTrayNotInserted"),
}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the phone received; enough to prove what a host asked, never secrets."""

    channel: str  # "lockdown" or the service name
    request: str  # lockdown Request, DeviceLink message name, or MCInstall RequestType
    domain: str | None = None
    key: str | None = None
    service: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class PhoneState:
    """What an erase changes: everything a fresh phone does not carry over."""

    device_name: str
    activation_state: str
    setup_done: bool
    passcode_set: bool
    screen_locked: bool
    find_my: bool
    activation_locked: bool
    supervised: bool
    mdm_organization: str | None
    sim: Sim
    user_data: bool


class EmulatedIphone:
    """State and policy of one phone; the protocol handlers ask it what to answer."""

    def __init__(self, profile: IosProfile, time_scale: float) -> None:
        self.profile = profile
        self.time_scale = time_scale
        self.udid = profile.udid
        self.key = DeviceKey()
        self.state = PhoneState(
            device_name=profile.device_name,
            activation_state=profile.activation_state,
            setup_done=profile.setup_done,
            passcode_set=profile.passcode_set or profile.screen_locked,
            screen_locked=profile.screen_locked,
            find_my=profile.find_my,
            activation_locked=False,
            supervised=profile.supervised or profile.mdm_organization is not None,
            mdm_organization=profile.mdm_organization,
            sim=profile.sim,
            user_data=True,
        )
        # HostID -> the pair record the host sent (certificates only; hosts keep their keys).
        self.pairings: dict[str, dict[str, Any]] = {}
        self.escrow_bags: dict[str, bytes] = {}
        self.requests: list[RecordedRequest] = []
        self.erase_count = 0
        self.wifi_address = _mac_from(profile.udid, 0)
        self._dialog_shown_at: float | None = None
        self._technician_answer: Trust | None = None
        self._services: dict[int, tuple[str, str]] = {}
        self._next_port = 49152
        self._connections: set[asyncio.StreamWriter] = set()
        self.on_erase: Callable[[EmulatedIphone], None] | None = None

    # --- what was asked -------------------------------------------------------------------
    def record(
        self,
        channel: str,
        request: str,
        *,
        domain: str | None = None,
        key: str | None = None,
        service: str | None = None,
    ) -> None:
        self.requests.append(RecordedRequest(channel, request, domain, key, service))

    # --- connections ----------------------------------------------------------------------
    def track(self, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)

    def untrack(self, writer: asyncio.StreamWriter) -> None:
        self._connections.discard(writer)

    def drop_links(self) -> None:
        """The cable is out or the phone rebooted: every open pipe ends (after what was sent)."""
        for writer in list(self._connections):
            writer.close()
        self._connections.clear()
        self._services.clear()

    def open_service_port(self, service: str, host_id: str) -> int:
        port = self._next_port
        self._next_port = 49152 + (self._next_port - 49152 + 1) % 16000
        self._services[port] = (service, host_id)
        return port

    def has_service_port(self, port: int) -> bool:
        return port in self._services

    def claim_service_port(self, port: int) -> tuple[str, str] | None:
        """(service, HostID) of a port StartService opened; each port takes one connection."""
        return self._services.pop(port, None)

    # --- values ---------------------------------------------------------------------------
    @property
    def ecid(self) -> int:
        return int(self.udid.replace("-", "")[-16:], 16) if "-" in self.udid else 0

    def all_values(self) -> dict[str, Any]:
        p, s = self.profile, self.state
        sim_status, tray = SIM_STATUS[s.sim]
        values: dict[str, Any] = {
            "ActivationState": s.activation_state,
            "BasebandVersion": "3.00.01",
            "BluetoothAddress": _mac_from(p.udid, 1),
            "BuildVersion": p.build_version,
            "CPUArchitecture": "arm64e",
            "ChipID": int(self.udid.split("-")[0], 16) if "-" in self.udid else 0,
            "DeviceClass": "iPhone",
            "DeviceColor": p.device_color,
            "DeviceName": s.device_name,
            "DevicePublicKey": self.key.public_pem(),
            "HardwareModel": p.hardware_model,
            "HostAttached": True,
            "PasswordProtected": s.passcode_set,
            "ProductName": "iPhone OS",
            "ProductType": p.product_type,
            "ProductVersion": p.product_version,
            "ProtocolVersion": "2",
            "SerialNumber": p.serial_number,
            "SIMStatus": sim_status,
            "SIMTrayStatus": tray,
            "TelephonyCapability": True,
            "UniqueChipID": self.ecid,
            "UniqueDeviceID": self.udid,
            "WiFiAddress": self.wifi_address,
        }
        if p.imeis:
            values["InternationalMobileEquipmentIdentity"] = p.imeis[0]
        if len(p.imeis) > 1:
            values["InternationalMobileEquipmentIdentity2"] = p.imeis[1]
        if s.sim is not Sim.NONE:
            values["PhoneNumber"] = owner.PHONE_NUMBER
            values["IntegratedCircuitCardIdentity"] = "8947" + p.serial_number.encode().hex()[:15]
        return values

    def domain_values(self, domain: str) -> dict[str, Any] | None:
        cap = self.profile.capacity_bytes
        used = cap // 3 if self.state.user_data else cap // 20
        domains: dict[str, dict[str, Any]] = {
            "com.apple.disk_usage": {
                "TotalDiskCapacity": cap,
                "TotalSystemCapacity": cap // 10,
                "TotalSystemAvailable": cap // 50,
                "TotalDataCapacity": cap - cap // 10,
                "TotalDataAvailable": cap - cap // 10 - used,
                "AmountDataAvailable": cap - cap // 10 - used,
                "AmountDataReserved": 200_000_000,
            },
            "com.apple.fmip": {
                "IsAssociated": self.state.find_my or self.state.activation_locked,
                "ActivationLockEnabled": self.state.find_my or self.state.activation_locked,
            },
            "com.apple.purplebuddy": {"SetupDone": self.state.setup_done},
            "com.apple.mobile.backup": {"WillEncrypt": False},
            "com.apple.mobile.battery": {"BatteryCurrentCapacity": 81, "BatteryIsCharging": True},
        }
        return domains.get(domain)

    def unpaired_values(self) -> dict[str, Any]:
        values = self.all_values()
        return {k: values[k] for k in UNPAIRED_KEYS if k in values}

    def cloud_configuration(self) -> dict[str, Any]:
        s = self.state
        if not s.supervised:
            return {}
        config: dict[str, Any] = {"IsSupervised": True, "AllowPairing": True}
        if s.mdm_organization:
            config.update(
                OrganizationName=s.mdm_organization,
                ConfigurationURL="https://mdm.example.invalid/enroll",
                IsMandatory=True,
                IsMDMUnremovable=True,
            )
        return config

    def profile_list(self) -> dict[str, Any]:
        if not self.state.mdm_organization:
            return {"OrderedIdentifiers": [], "ProfileMetadata": {}, "ProfileManifest": {}}
        ident = "com.example.mdm.enrollment"
        meta = {
            "PayloadDisplayName": f"{self.state.mdm_organization} MDM",
            "PayloadOrganization": self.state.mdm_organization,
            "PayloadRemovalDisallowed": True,
            "IsMDMProfile": True,
        }
        return {
            "OrderedIdentifiers": [ident],
            "ProfileMetadata": {ident: meta},
            "ProfileManifest": {ident: {"IsActive": True, "Description": "MDM"}},
        }

    # --- trust ----------------------------------------------------------------------------
    def pairing_answer(self) -> str | None:
        """None if the host may pair now, else the lockdown error a real phone gives."""
        if not self.state.setup_done:
            return None  # Setup Assistant phones pair without a dialog: there is nobody to ask
        if self.state.screen_locked:
            return "PasswordProtected"
        answer = self._technician_answer
        if answer is Trust.ACCEPT:
            return None
        if answer is Trust.DENY:
            self._technician_answer = None
            self._dialog_shown_at = None
            return "UserDeniedPairing"
        now = time.monotonic()
        if self._dialog_shown_at is None:
            self._dialog_shown_at = now
        trust = self.profile.trust
        if trust is Trust.DENY:
            self._dialog_shown_at = None
            return "UserDeniedPairing"
        if trust is Trust.ACCEPT:
            waited = now - self._dialog_shown_at
            if waited >= self.profile.trust_delay_s * self.time_scale:
                return None
        return "PairingDialogResponsePending"

    def paired(self, host_id: str, record: dict[str, Any]) -> bytes:
        self.pairings[host_id] = record
        self._dialog_shown_at = None
        self._technician_answer = None
        bag = secrets.token_bytes(32)
        self.escrow_bags[host_id] = bag
        return bag

    def tap_trust(self) -> None:
        self._technician_answer = Trust.ACCEPT

    def tap_dont_trust(self) -> None:
        self._technician_answer = Trust.DENY

    def unlock(self) -> None:
        self.state.screen_locked = False

    # --- erase ----------------------------------------------------------------------------
    def erase_seconds(self) -> float:
        return self.profile.erase_s * self.time_scale

    def apply_erase(self) -> None:
        """What a finished erase leaves: a fresh, unactivated phone that knows no host."""
        self.erase_count += 1
        if self.profile.fault is Fault.LIES_ABOUT_ERASE:
            return
        locked = self.state.find_my or self.state.activation_locked
        self.state = PhoneState(
            device_name=owner.FACTORY_DEVICE_NAME,
            activation_state="Unactivated",
            setup_done=False,
            passcode_set=False,
            screen_locked=False,
            find_my=False,
            activation_locked=locked,
            supervised=False,
            mdm_organization=None,
            sim=self.state.sim,
            user_data=False,
        )
        self.pairings.clear()
        self.escrow_bags.clear()
        self.key = DeviceKey()
        self._dialog_shown_at = None
        self._technician_answer = None

    def start_erase(self) -> None:
        if self.on_erase is not None:
            self.on_erase(self)


def _mac_from(udid: str, salt: int) -> str:
    digest = hashlib.sha256(f"{udid}/{salt}".encode()).digest()[:5]
    return ":".join(f"{b:02x}" for b in (0x3C, *digest))
