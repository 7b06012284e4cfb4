"""Lab fleets from profile files (`demo --fleet FILE.yaml …`): replay any phone, Android or iOS.

A file names its platform with `platform: android|ios`, or inherits it from the bundled
profile it `extends:`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from drivers.emulated.android import profile as android_profiles
from drivers.emulated.ios import profile as ios_profiles
from wipe_station.errors import StationError

PLATFORMS = ("android", "ios")


@dataclass(frozen=True)
class FleetProfile:
    platform: str  # android | ios
    profile: Any  # AndroidProfile or IosProfile
    source: Path


def platform_of(path: Path, data: dict[str, Any]) -> str:
    declared = data.get("platform")
    if declared is not None:
        if declared not in PLATFORMS:
            raise StationError(f"{path}: platform must be android or ios, not {declared!r}")
        return str(declared)
    base = data.get("extends")
    if base in android_profiles.profile_names():
        return "android"
    if base in ios_profiles.available_profiles():
        return "ios"
    raise StationError(
        f"{path}: say `platform: android` or `platform: ios`, or `extends:` a bundled profile"
    )


def load_fleet(paths: list[Path]) -> list[FleetProfile]:
    fleet = []
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise StationError(f"{path}: cannot read it ({exc.strerror})") from exc
        except yaml.YAMLError as exc:
            raise StationError(f"{path}: not valid YAML ({exc})") from exc
        if not isinstance(data, dict):
            raise StationError(f"{path}: a lab profile is a YAML mapping")
        platform = platform_of(path, data)
        module = android_profiles if platform == "android" else ios_profiles
        try:
            prof = module.load_profile_file(path)
        except (KeyError, TypeError, ValueError) as exc:
            raise StationError(f"{path}: not a usable {platform} lab profile ({exc})") from exc
        fleet.append(FleetProfile(platform, prof, path))
    return fleet
