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


class Fault(StrEnum):
    NONE = "none"
    UNPLUGGED_MID_ERASE = "unplugged_mid_erase"  # cable pulled once the erase exchange began
    NEVER_RETURNS = "never_returns"  # accepts the erase, leaves the bus, never comes back
    GARBLED_PLIST = "garbled_plist"  # answers in-session GetValue with a corrupt plist
    LIES_ABOUT_ERASE = "lies_about_erase"  # reboots but keeps its data and pairings


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

    def with_identity(self, udid: str, serial: str, imeis: tuple[str, ...]) -> IosProfile:
        return dataclasses.replace(self, udid=udid, serial_number=serial, imeis=imeis)


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name: str) -> IosProfile:
    path = PROFILE_DIR / f"{name}.yaml"
    if not path.is_file():
        raise KeyError(f"no iOS lab profile {name!r}; have {', '.join(available_profiles())}")
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return profile_from_dict(name, raw)


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
    for key, kind in (("trust", Trust), ("sim", Sim), ("fault", Fault)):
        if key in data:
            data[key] = kind(str(data[key]))
    for key in ("product_version", "build_version", "serial_number", "udid"):
        data[key] = str(data[key])
    return IosProfile(**data)
