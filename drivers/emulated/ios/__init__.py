"""Emulated iPhones: a usbmuxd + lockdownd + erase services speaking the real wire protocols."""

from drivers.emulated.ios.device import EmulatedIphone, RecordedRequest
from drivers.emulated.ios.lab import IosLab
from drivers.emulated.ios.profile import (
    DEFAULT_PROFILE,
    Fault,
    IosProfile,
    Sim,
    Trust,
    available_profiles,
    load_profile,
    load_profile_file,
)

__all__ = [
    "DEFAULT_PROFILE",
    "EmulatedIphone",
    "Fault",
    "IosLab",
    "IosProfile",
    "RecordedRequest",
    "Sim",
    "Trust",
    "available_profiles",
    "load_profile",
    "load_profile_file",
]
