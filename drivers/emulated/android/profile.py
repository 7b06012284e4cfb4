"""Lab phone profiles: what a phone is (make, model, serial, state) and how it behaves."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

PROFILE_PACKAGE = "drivers.emulated.profiles.android"
FAULTS = (
    "unplug_mid_reset",
    "slow_replies",
    "garbled",
    "never_returns",
    "fake_reset",  # reboots as if reset but keeps everything (boot_count, android_id, data)
    "ignores_reset",  # accepts every reset request and does nothing at all
    "resets_before_reply",  # goes down on `cmd testharness enable` before adbd's reply is out
    # The cable is pulled once, as the reset is asked for: before it began (the phone keeps its
    # owner's state) or just after (the reset runs on, off the bus, and the phone comes back
    # reset when plugged in). Later resets run as usual.
    "unplug_before_reset_once",
    "unplug_after_reset_began",
)
LOCKS = ("none", "pin", "pattern", "password")
# A capture: what a real phone printed for one base command, verbatim, and its exit status.
Captured = dict[str, Any]


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
    # Account types signed in in the first extra user (work profile); needs users >= 2.
    profile_accounts: list[str] = field(default_factory=list)
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
    lock_screen: str = "none"  # the owner's screen lock: none | pin | pattern | password
    # The OEM ships the persistent data block Test Harness Mode stores the ADB keys in.
    test_harness: bool = True
    preloads: int = 0  # carrier/OEM third-party apps that come back after every reset
    boot_count: int = 143  # settings global boot_count before the station sees the phone
    # Without ADB the station can only guide the technician's keys. Tests may have the lab's
    # technician press them this long after plug-in; None: only when someone follows the
    # station's guidance (the demo's technician does, see DemoFleet.follow_guidance).
    guided_keys_after_s: float | None = None
    recovery_adb: str | None = None  # recovery exposes ADB: None | "unauthorized"
    # Base command -> what a real phone printed (string, or {stdout: ..., exit: N}).
    captured: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"profile {self.name}: unknown fault {self.fault!r}")
        if self.auth not in ("allow", "deny"):
            raise ValueError(f"profile {self.name}: auth must be allow or deny")
        if self.lock_screen not in LOCKS:
            raise ValueError(f"profile {self.name}: lock_screen must be one of {LOCKS}")
        if self.build_type not in ("user", "userdebug", "eng"):
            raise ValueError(f"profile {self.name}: build_type must be user, userdebug or eng")

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
    return _from_data(name, yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def load_profile_file(path: Path) -> AndroidProfile:
    """A profile from any YAML file; it may ``extends:`` a bundled profile by name.

    A ``platform: android`` key (fleet files name their platform) is accepted and ignored.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a lab profile is a YAML mapping")
    platform = data.pop("platform", "android")
    if platform != "android":
        raise ValueError(f"{path}: platform {platform!r} is not an Android profile")
    return _from_data(path.stem, data)


def _from_data(name: str, data: dict[str, Any]) -> AndroidProfile:
    base = data.pop("extends", None)
    if base:
        parent = dataclasses.asdict(load_profile(base))
        parent.update(data)
        data = parent
    data["name"] = name
    known = {f.name for f in dataclasses.fields(AndroidProfile)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"profile {name}: unknown keys {', '.join(unknown)}")
    return AndroidProfile(**data)
