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

from drivers.emulated.ios import owner, values
from drivers.emulated.ios.pki import DeviceKey
from drivers.emulated.ios.profile import Fault, IosProfile, Sim, Trust
from drivers.emulated.ios.wire import plist_frame

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

# The lab's own identity on the wire: a captured dump never overrides these.
IDENTITY_KEYS = frozenset({"UniqueDeviceID", "DevicePublicKey"})

# Posted when someone taps Trust (libimobiledevice/usbmuxd src/preflight.c observes it).
REQUEST_PAIR = "com.apple.mobile.lockdown.request_pair"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the phone received; enough to prove what a host asked, never secrets."""

    channel: str  # "lockdown" or the service name
    request: str  # lockdown Request, DeviceLink message name, or MCInstall RequestType
    domain: str | None = None
    key: str | None = None
    service: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class PostedNotification:
    """A Darwin notification the phone posted, and to how many proxy observers it was relayed."""

    name: str
    relayed_to: int
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
    erased: bool = False  # at Setup Assistant after an erase this phone really did


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
        # HostIDs the phone knew before its last erase: asked again, they get profile.stale_pairing.
        self.forgotten_hosts: set[str] = set()
        # HostID -> the pair record the host sent (certificates only; hosts keep their keys).
        self.pairings: dict[str, dict[str, Any]] = {}
        self.escrow_bags: dict[str, bytes] = {}
        self.requests: list[RecordedRequest] = []
        self.notifications: list[PostedNotification] = []
        self.erase_count = 0
        self.wifi_address = _mac_from(profile.udid, 0)
        self._dialog_shown_at: float | None = None
        self._technician_answer: Trust | None = None
        # When the profile's person taps Trust (trust_delay_s after the dialog came up).
        self._tap_timer: asyncio.TimerHandle | None = None
        self._services: dict[int, tuple[str, str | None]] = {}
        self._next_port = 49152
        self._connections: set[asyncio.StreamWriter] = set()
        # Open notification proxy connections -> the names each observes.
        self._observers: dict[asyncio.StreamWriter, set[str]] = {}
        self.on_erase: Callable[[EmulatedIphone], None] | None = None
        # The lab's hands on the cable, for the faults that pull it (set by the lab).
        self.on_pulled: Callable[[EmulatedIphone], None] | None = None
        self.pulled_once = False  # a one-time pull fault has happened

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
        self._observers.clear()
        # Nobody is left to hear the tap; the next Pair schedules it again if still due.
        self._cancel_tap()

    def open_service_port(self, service: str, host_id: str | None) -> int:
        port = self._next_port
        self._next_port = 49152 + (self._next_port - 49152 + 1) % 16000
        self._services[port] = (service, host_id)
        return port

    def has_service_port(self, port: int) -> bool:
        return port in self._services

    def claim_service_port(self, port: int) -> tuple[str, str | None] | None:
        """(service, HostID or None without a session) of a port StartService opened; each port
        takes one connection."""
        return self._services.pop(port, None)

    # --- notifications --------------------------------------------------------------------
    def observe(self, writer: asyncio.StreamWriter, names: set[str]) -> None:
        """``writer``'s proxy relays whatever ``names`` holds (it grows as the host asks)."""
        self._observers[writer] = names

    def unobserve(self, writer: asyncio.StreamWriter) -> None:
        self._observers.pop(writer, None)

    @property
    def observers(self) -> int:
        """Open notification proxy connections (a test's view of what a host left open)."""
        return len(self._observers)

    def end_notification_proxies(self) -> None:
        """The proxy daemon goes away: each connection gets ProxyDeath and is closed (what
        notification_proxy.c's reader treats as the proxy's end)."""
        frame = plist_frame({"Command": "ProxyDeath"})
        for writer in list(self._observers):
            if not writer.is_closing():
                writer.write(frame)
                writer.close()
        self._observers.clear()

    def post_notification(self, name: str) -> int:
        """Post a Darwin notification: every proxy observing ``name`` relays it at once."""
        frame = plist_frame({"Command": "RelayNotification", "Name": name})
        relayed = 0
        for writer, names in list(self._observers.items()):
            if name in names and not writer.is_closing():
                writer.write(frame)
                relayed += 1
        self.notifications.append(PostedNotification(name, relayed))
        return relayed

    # --- values ---------------------------------------------------------------------------
    @property
    def ecid(self) -> int:
        return int(self.udid.replace("-", "")[-16:], 16) if "-" in self.udid else 0

    def all_values(self) -> dict[str, Any]:
        p, s = self.profile, self.state
        sim_status, tray = values.sim_values(p, s.sim)
        found: dict[str, Any] = values.static_values(p)
        found.update(
            {
                "ActivationState": s.activation_state,
                "BluetoothAddress": _mac_from(p.udid, 1),
                # Every unactivated phone reports BrickState true (libideviceactivation #25).
                "BrickState": s.activation_state == "Unactivated",
                "ChipID": int(self.udid.split("-")[0], 16) if "-" in self.udid else 0,
                "DeviceName": s.device_name,
                "DevicePublicKey": self.key.public_pem(),
                "EthernetAddress": _mac_from(p.udid, 2),
                "HostAttached": True,
                "NonVolatileRAM": self.nvram(),
                "PasswordProtected": s.screen_locked,
                "SIMStatus": sim_status,
                "SIMTrayStatus": tray,
                "TimeIntervalSince1970": time.time(),
                "TrustedHostAttached": True,
                "UniqueChipID": self.ecid,
                "WiFiAddress": self.wifi_address,
            }
        )
        if p.imeis:
            found["InternationalMobileEquipmentIdentity"] = p.imeis[0]
        if len(p.imeis) > 1:
            found["InternationalMobileEquipmentIdentity2"] = p.imeis[1]
        if s.sim is not Sim.NONE:
            found.update(values.carrier_values(p))
        return self._captured("", found)

    def nvram(self) -> dict[str, bytes]:
        """NVRAM as lockdown gives it: bytes values. fm-* flags are root-only and never deleted
        by an erase (xnu IONVRAM.cpp), so they outlive it; the erase adds its own record."""
        s = self.state
        entries: dict[str, bytes] = {"auto-boot": b"true", "boot-args": b"", "bootdelay": b"0"}
        if self.profile.nvram_fm_flags:
            locked = s.find_my or s.activation_locked
            entries["fm-activation-locked"] = b"YES" if locked else b"NO"
            entries["fm-spstatus"] = b"YES" if s.find_my else b"NO"
            if locked:
                entries["fm-account-masked"] = owner.ACCOUNT_MASKED.encode()
        if s.erased:
            entries["oblit-begins"] = values.OBLIT_BEGINS
            entries["obliteration"] = values.OBLITERATION
        return entries

    def _captured(self, domain: str, found: dict[str, Any]) -> dict[str, Any]:
        source = self.profile.captured_after_erase if self.state.erased else self.profile.captured
        for key, value in (source.get(domain) or {}).items():
            if key not in IDENTITY_KEYS:
                found[key] = value
        return found

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
            # IsAssociated is what real phones get wrong: false at Setup Assistant whatever the
            # lock (libimobiledevice #531), and false with Find My on for some (#275).
            "com.apple.fmip": {
                "IsAssociated": self.state.find_my
                and self.state.setup_done
                and not self.profile.is_associated_lies,
            },
            # A fresh phone has no SetupDone yet: the key is missing, not false.
            "com.apple.purplebuddy": {"SetupDone": True} if self.state.setup_done else {},
            "com.apple.mobile.backup": {"WillEncrypt": False},
            "com.apple.mobile.battery": {"BatteryCurrentCapacity": 81, "BatteryIsCharging": True},
        }
        found = domains.get(domain)
        captured = (
            self.profile.captured_after_erase if self.state.erased else self.profile.captured
        ).get(domain)
        if captured:
            found = self._captured(domain, dict(found or {}))
        return found

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
            self._dialog_gone()
            return "UserDeniedPairing"
        now = time.monotonic()
        if self._dialog_shown_at is None:
            self._dialog_shown_at = now
        trust = self.profile.trust
        if trust is Trust.DENY:
            self._dialog_gone()
            return "UserDeniedPairing"
        if trust is Trust.ACCEPT:
            waited = now - self._dialog_shown_at
            delay = self.profile.trust_delay_s * self.time_scale
            if waited >= delay:
                return None
            self._schedule_tap(delay - waited)
        return "PairingDialogResponsePending"

    def _schedule_tap(self, after_s: float) -> None:
        """The profile's person taps Trust ``after_s`` from now: the same moment from which Pair
        is answered, so a host told of the tap and asking at once is let in."""
        if self._tap_timer is None:
            shown = self._dialog_shown_at
            loop = asyncio.get_running_loop()
            self._tap_timer = loop.call_later(after_s, self._profile_tapped, shown)

    def _profile_tapped(self, shown: float | None) -> None:
        self._tap_timer = None
        if shown is not None and shown == self._dialog_shown_at:
            self.post_notification(REQUEST_PAIR)

    def _cancel_tap(self) -> None:
        if self._tap_timer is not None:
            self._tap_timer.cancel()
            self._tap_timer = None

    def _dialog_gone(self) -> None:
        self._dialog_shown_at = None
        self._cancel_tap()

    def paired(self, host_id: str, record: dict[str, Any]) -> bytes:
        self.pairings[host_id] = record
        self._dialog_gone()
        self._technician_answer = None
        bag = secrets.token_bytes(32)
        self.escrow_bags[host_id] = bag
        return bag

    def tap_trust(self) -> None:
        self._technician_answer = Trust.ACCEPT
        # lockdownd posts request_pair on the tap (what usbmuxd's preflight.c observes); with no
        # dialog up there is nothing to tap, so nothing is posted.
        if self._dialog_shown_at is not None:
            self._cancel_tap()
            self.post_notification(REQUEST_PAIR)

    def tap_dont_trust(self) -> None:
        # Don't Trust posts nothing: a host learns of it only by asking Pair again.
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
        locked = locked or self.profile.locks_after_erase
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
            erased=True,
        )
        self.forgotten_hosts |= set(self.pairings)
        self.pairings.clear()
        self.escrow_bags.clear()
        self.key = self.key.replaced()  # a new key: old pair records no longer fit
        self._dialog_gone()
        self._technician_answer = None

    def start_erase(self) -> None:
        if self.on_erase is not None:
            self.on_erase(self)

    def pulled_before_erase(self) -> bool:
        """The one-time fault: the cable comes out before the erase began (True: it did)."""
        if self.profile.fault is not Fault.PULLED_BEFORE_ERASE_ONCE or self.pulled_once:
            return False
        self.pulled_once = True
        if self.on_pulled is not None:
            self.on_pulled(self)
        return True


def _mac_from(udid: str, salt: int) -> str:
    digest = hashlib.sha256(f"{udid}/{salt}".encode()).digest()[:5]
    return ":".join(f"{b:02x}" for b in (0x3C, *digest))
