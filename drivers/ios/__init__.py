"""iOS driver: usbmuxd discovery, lockdown pairing, blockers, erase and verification."""

from drivers.ios.discovery import (
    SYSTEM_USBMUXD,
    MuxEvent,
    MuxEventKind,
    UsbmuxWatcher,
    list_iphones,
)
from drivers.ios.driver import IosDriver
from drivers.ios.models import marketing_name
from drivers.ios.pairing import TrustState

__all__ = [
    "SYSTEM_USBMUXD",
    "IosDriver",
    "MuxEvent",
    "MuxEventKind",
    "TrustState",
    "UsbmuxWatcher",
    "list_iphones",
    "marketing_name",
]
