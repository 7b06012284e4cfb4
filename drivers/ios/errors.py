"""Turn what pymobiledevice3 raises into the contract's errors, with technician-readable text."""

from __future__ import annotations

import asyncio
import plistlib
from collections.abc import Iterator
from contextlib import contextmanager
from xml.parsers.expat import ExpatError

from pymobiledevice3.exceptions import (
    ConnectionFailedError,
    ConnectionFailedToUsbmuxdError,
    ConnectionTerminatedError,
    DeviceNotFoundError,
    MuxException,
    NoDeviceConnectedError,
    PyMobileDevice3Exception,
)

from drivers.contract import DeviceGone, DriverError, GarbledReply


class UsbmuxdNotRunning(DriverError):
    """No usbmuxd answers at the address: the station cannot see any iPhone."""


def usbmuxd_hint(doing: str) -> str:
    return (
        f"usbmuxd is not running, so no iPhone can be reached (while {doing}). Start it with "
        "`sudo systemctl start usbmuxd`, or run `sudo usbmuxd -f` in a terminal, then plug "
        "the phone in again."
    )


_GONE = (
    ConnectionTerminatedError,
    ConnectionFailedError,
    DeviceNotFoundError,
    NoDeviceConnectedError,
    MuxException,
    ConnectionError,
    asyncio.IncompleteReadError,
    EOFError,
)
_GARBLED = (ExpatError, plistlib.InvalidFileException, UnicodeDecodeError)


@contextmanager
def translated(doing: str) -> Iterator[None]:
    """``doing`` names the step for the message, e.g. "reading the phone's serial number"."""
    try:
        yield
    except DriverError:
        raise
    except ConnectionFailedToUsbmuxdError as exc:
        raise UsbmuxdNotRunning(usbmuxd_hint(doing)) from exc
    except _GONE as exc:
        raise DeviceGone(f"The phone disconnected while {doing}") from exc
    except _GARBLED as exc:
        raise GarbledReply(f"The phone sent an unreadable answer while {doing}") from exc
    except (PyMobileDevice3Exception, AssertionError, KeyError, TypeError, ValueError) as exc:
        # The client asserts on protocol shape; a reply of the wrong shape is garbled, not a bug.
        raise GarbledReply(f"The phone answered unexpectedly while {doing}: {exc}") from exc
