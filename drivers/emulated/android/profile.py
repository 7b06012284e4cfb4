"""Lab phone profiles: what a phone is (make, model, serial, state) and how it behaves."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

PROFILE_PACKAGE = "drivers.emulated.profiles.android"
FAULTS = ("unplug_mid_reset", "slow_replies", "garbled", "never_returns", "fake_reset")


@dataclass
class AndroidProfile:
    name: str
    manufacturer: str
    brand: str
    model: str
    device: str
    serial: str
    android_version: str
    sdk: int
    security_patch: str
    vendor_id: int
    product_id: int
    build_type: str = "user"  # user builds refuse the FACTORY_RESET broadcast from the shell
    storage_gb: int = 128
    encryption: str = "file"  # file | block | none
    battery: int = 80
    sim: str = "ABSENT"  # gsm.sim.state: ABSENT | READY | LOADED
    accounts: list[str] = field(default_factory=list)  # account types, e.g. com.google
    device_owner: str | None = None  # e.g. com.example.mdm/.AdminReceiver
    users: int = 1
    third_party_apps: int = 10
    files: dict[str, int] = field(default_factory=dict)  # shared-storage folder -> file count
    messages: int = 0  # SMS in content://sms (their text comes from owner.MESSAGES)
    contacts: int = 0  # rows in content://com.android.contacts (owner.CONTACTS)
    setup_complete: bool = True
    debugging: bool = True  # USB debugging enabled in developer options
    auth: str = "allow"  # what the owner answers to "Allow USB debugging?": allow | deny
    boot_seconds: float = 2.0
    wipe_seconds: float = 2.0
    auto_technician: bool = True  # the lab does the technician's steps by itself
    technician_seconds: float = 1.0
    fault: str | None = None
    slow_reply_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"profile {self.name}: unknown fault {self.fault!r}")
        if self.auth not in ("allow", "deny"):
            raise ValueError(f"profile {self.name}: auth must be allow or deny")

    def with_overrides(self, **changes: Any) -> AndroidProfile:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def without_delays(self) -> AndroidProfile:
        return dataclasses.replace(self, boot_seconds=0.0, wipe_seconds=0.0, technician_seconds=0.0)


def profile_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".yaml")
        for p in resources.files(PROFILE_PACKAGE).iterdir()
        if p.name.endswith(".yaml")
    )


def load_profile(name: str) -> AndroidProfile:
    path = resources.files(PROFILE_PACKAGE) / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(
            f"no Android lab profile {name!r}; choose from {', '.join(profile_names())}"
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = data.pop("extends", None)
    if base:
        parent = dataclasses.asdict(load_profile(base))
        parent.update(data)
        data = parent
    data["name"] = name
    return AndroidProfile(**data)
