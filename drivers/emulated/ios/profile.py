"""Lab profiles: what an emulated iPhone is and how it behaves, loaded from YAML."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles" / "ios"
DEFAULT_PROFILE = "iphone-13-clean"


class Trust(StrEnum):
    """What the person holding the phone answers to "Trust this computer?"."""

    ACCEPT = "accept"  # taps Trust after trust_delay_s
    DENY = "deny"  # taps Don't Trust
    PENDING = "pending"  # nobody answers until the lab's technician side does


class Sim(StrEnum):
    NONE = "none"
    PHYSICAL = "physical"
    ESIM = "esim"


class StalePairing(StrEnum):
    """How the erased phone answers a session under a pairing it has forgotten."""

    INVALID_HOST_ID = "invalid_host_id"  # StartSession: Error InvalidHostID
    TLS_REFUSED = "tls_refused"  # StartSession OK, then the TLS handshake fails with an alert
    TLS_CLOSED = "tls_closed"  # StartSession OK, then the link closes during the handshake


class Fault(StrEnum):
    NONE = "none"
    UNPLUGGED_MID_ERASE = "unplugged_mid_erase"  # cable pulled once the erase exchange began
    NEVER_RETURNS = "never_returns"  # accepts the erase, leaves the bus, never comes back
    GARBLED_PLIST = "garbled_plist"  # answers in-session GetValue with a corrupt plist
    LIES_ABOUT_ERASE = "lies_about_erase"  # reboots but keeps its data and pairings
    # The cable is pulled once the erase began: the erase runs on off the bus, and the phone
    # comes back erased (at the Setup Assistant) when it is plugged in again.
    PULLED_AFTER_ERASE_BEGAN = "pulled_after_erase_began"
    # The cable is pulled once, as the erase exchange is set up, before the erase began: the
    # phone keeps its owner's state and pairings. A second erase runs as usual.
    PULLED_BEFORE_ERASE_ONCE = "pulled_before_erase_once"


@dataclass(frozen=True, slots=True)
class IosProfile:
    name: str
    product_type: str
    hardware_model: str
    product_version: str
    build_version: str
    serial_number: str
    udid: str
    imeis: tuple[str, ...]
    capacity_bytes: int
    device_name: str = "iPhone"
    device_color: str = "1"
    activation_state: str = "Activated"
    setup_done: bool = True
    passcode_set: bool = False
    screen_locked: bool = False
    trust: Trust = Trust.ACCEPT
    trust_delay_s: float = 0.0
    find_my: bool = False
    supervised: bool = False
    mdm_organization: str | None = None
    sim: Sim = Sim.NONE
    erase_s: float = 3.0
    fault: Fault = Fault.NONE
    description: str = ""
    # Find My is on but com.apple.fmip IsAssociated answers false (libimobiledevice #275).
    is_associated_lies: bool = False
    # The release keeps fm-activation-locked / fm-spstatus in NVRAM (seen on iOS 16 and 17
    # dumps; absent from the iOS 12/13 dumps): False gives a phone whose lock cannot be read.
    nvram_fm_flags: bool = True
    stale_pairing: StalePairing = StalePairing.INVALID_HOST_ID
    # After the erase the phone attaches, drops off and attaches again (a new DeviceID each time).
    reenumerates: bool = False
    sim_tray_absent: bool = False  # no SIM tray at all (eSIM-only models)
    # StartService of com.apple.mobile.insecure_notification_proxy works (iOS 7 and later, per
    # usbmuxd's preflight.c); False refuses it with InvalidService, as an older or odd phone
    # would, so a host hears of the Trust tap only by asking Pair again.
    insecure_notification_proxy: bool = True
    # Lab scenario (no source: assumption): the owner's account locks the phone while it is
    # erased, so it comes back with fm-activation-locked=YES although it read NO before.
    locks_after_erase: bool = False
    # Lockdown values taken from real dumps, overriding the model: domain ("" = default) ->
    # key -> value. ``captured`` holds before the first erase, ``captured_after_erase`` after.
    captured: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    captured_after_erase: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def with_identity(self, udid: str, serial: str, imeis: tuple[str, ...]) -> IosProfile:
        return dataclasses.replace(self, udid=udid, serial_number=serial, imeis=imeis)


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name: str) -> IosProfile:
    return profile_from_dict(name, _bundled_raw(name))


def _bundled_raw(name: str) -> dict[str, Any]:
    path = PROFILE_DIR / f"{name}.yaml"
    if not path.is_file():
        raise KeyError(f"no iOS lab profile {name!r}; have {', '.join(available_profiles())}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"profile {name}: not a mapping")
    return raw


def load_profile_file(path: Path) -> IosProfile:
    """A profile from any YAML file. ``extends: <bundled name>`` starts from that profile;
    ``platform: ios`` is accepted and ignored; ``captured:`` maps domain ("" = default) to
    key -> value (bytes as ``!!binary``) and is merged over the base's captured values."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: not a mapping")
    raw = dict(raw)
    platform = raw.pop("platform", "ios")
    if platform != "ios":
        raise ValueError(f"{path}: platform {platform!r} is not an iOS profile")
    base_name = raw.pop("extends", None)
    merged: dict[str, Any] = _bundled_raw(str(base_name)) if base_name else {}
    for key in ("captured", "captured_after_erase"):
        if key in raw:
            raw[key] = _merge_captured(merged.get(key) or {}, raw[key] or {})
    merged.update(raw)
    return profile_from_dict(Path(path).stem, merged)


def _merge_captured(
    base: dict[str, dict[str, Any]], extra: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    out = {str(d): dict(v) for d, v in base.items()}
    for domain, values in extra.items():
        out.setdefault(str(domain), {}).update(values or {})
    return out


def profile_from_dict(name: str, raw: dict[str, Any]) -> IosProfile:
    known = {f.name for f in dataclasses.fields(IosProfile)}
    unknown = set(raw) - known - {"capacity_gb", "imei", "imei2"}
    if unknown:
        raise ValueError(f"profile {name}: unknown keys {sorted(unknown)}")
    data = {k: v for k, v in raw.items() if k in known}
    data["name"] = name
    if "capacity_gb" in raw:
        data["capacity_bytes"] = int(raw["capacity_gb"]) * 1_000_000_000
    imeis = [raw[k] for k in ("imei", "imei2") if raw.get(k)]
    data["imeis"] = tuple(str(i) for i in imeis)
    for key, kind in (
        ("trust", Trust),
        ("sim", Sim),
        ("fault", Fault),
        ("stale_pairing", StalePairing),
    ):
        if key in data:
            data[key] = kind(str(data[key]))
    for key in ("product_version", "build_version", "serial_number", "udid"):
        data[key] = str(data[key])
    for key in ("captured", "captured_after_erase"):
        if key in data:
            data[key] = {
                "" if d is None else str(d): dict(v or {}) for d, v in (data[key] or {}).items()
            }
    return IosProfile(**data)
