"""The one driver contract both platforms implement, as plain typed data.

The application composes these; nothing here knows about the database or certificates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol


class Platform(StrEnum):
    ANDROID = "android"
    IOS = "ios"


class UsbKind(StrEnum):
    """What a USB device is, judged from its interface descriptors."""

    ADB = "adb"  # Android with USB debugging on (0xFF/0x42/0x01)
    FASTBOOT = "fastboot"  # Android bootloader (0xFF/0x42/0x03)
    MTP = "mtp"  # Android with USB debugging off: MTP/PTP only
    USBMUX = "usbmux"  # Apple device in normal mode (0xFF/0xFE/0x02)
    APPLE_RECOVERY = "apple_recovery"
    APPLE_DFU = "apple_dfu"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class UsbDeviceInfo:
    """One device on the bus, as discovery reports it."""

    port_path: str  # e.g. "1-2.3": stable per physical hub port
    vendor_id: int
    product_id: int
    serial: str | None
    kind: UsbKind
    manufacturer: str | None = None
    product: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """What the station asked, what the phone answered, and when (UTC)."""

    step: str  # identify | blockers | erase | verify
    check: str  # short stable name, e.g. "accounts", "setup_wizard"
    request: str  # the allow-listed command or lockdown request, verbatim
    response: str  # the phone's answer, trimmed to a bounded length
    ok: bool
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    platform: Platform
    manufacturer: str
    model: str  # marketing name where known ("iPhone 13", "Pixel 8")
    model_code: str  # hardware id ("iPhone14,5", "SM-S911B")
    serial: str
    os_version: str
    imeis: tuple[str, ...] = ()
    udid: str | None = None
    build: str | None = None  # build number or Android security patch level
    storage_bytes: int | None = None
    encrypted: bool | None = None
    battery_percent: int | None = None
    activation_state: str | None = None


class BlockerCode(StrEnum):
    FRP_ACCOUNT = "frp_account"  # Google account present: factory-reset protection
    ACTIVATION_LOCK = "activation_lock"  # Find My / Activation Lock on
    MDM = "mdm"  # device owner / supervision / MDM enrolment
    SIM_PRESENT = "sim_present"
    BATTERY_LOW = "battery_low"
    PASSCODE_LOCKED = "passcode_locked"
    NOT_ENCRYPTED = "not_encrypted"  # reset is only NIST Clear, not Purge
    DEBUGGING_OFF = "debugging_off"
    NOT_TRUSTED = "not_trusted"


@dataclass(frozen=True, slots=True)
class Blocker:
    code: BlockerCode
    message: str  # what is wrong, for the technician
    action: str  # what the technician must do about it
    blocking: bool = True  # False: a warning that does not stop the wipe


class Outcome(StrEnum):
    VERIFIED = "verified"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class VerificationLevel(StrEnum):
    """How the station knows the phone was erased; the certificate prints which."""

    # The station read the factory state back from the phone itself (ADB with the key Test
    # Harness Mode preserved; lockdown at the iOS Setup Assistant).
    READBACK = "readback"
    # The station saw the phone leave the bus and come back as a new, unauthorised device, and
    # a named technician confirmed what its screen showed.
    ATTESTED = "attested"


class ActivationLock(StrEnum):
    """The owner lock a phone carries after the erase (iOS Activation Lock; Android FRP)."""

    NOT_LOCKED = "not_locked"
    LOCKED = "locked"
    UNKNOWN = "unknown"  # no conclusive signal: never shown or treated as not locked


class ScreenSeen(StrEnum):
    """What a technician reports the phone's screen shows after a guided reset."""

    WELCOME = "welcome"  # the setup wizard's first screen: erased and not locked
    OWNER_LOCK = "owner_lock"  # "Verify your account" (FRP) / Activation Lock: locked to an owner
    OTHER = "other"  # the owner's home or lock screen, an error, a boot loop: not erased


@dataclass(frozen=True, slots=True)
class VerifyResult:
    outcome: Outcome
    reason: str
    evidence: tuple[EvidenceItem, ...]
    erasure_class: str = "purge"  # NIST SP 800-88: "purge" (crypto erase) or "clear"
    reusable: bool = True  # False e.g. when an iPhone came back activation-locked
    level: VerificationLevel | None = None  # set whenever outcome is VERIFIED
    activation_lock: ActivationLock | None = None  # None: the platform/route does not say
    activation_lock_reason: str = ""  # why LOCKED or UNKNOWN, for the certificate
    # Erased but locked to its owner (FRP "Verify your account"): goes back to the customer.
    quarantine: bool = False


class Returned(StrEnum):
    """What an interrupted phone reports when it comes back (the station stopped mid-erase)."""

    RESET = "reset"  # factory state, seen at the level the verdict's VerifyResult names
    NOT_RESET = "not_reset"  # still the owner's phone: it is erased again by the normal route
    UNSURE = "unsure"  # neither: it waits for a named decision of the technician


@dataclass(frozen=True, slots=True)
class Before:
    """What the records kept of an interrupted erasure, for judging the phone that returns.

    A driver object does not survive a stop: this is all that is known of the phone before."""

    route: str = ""  # the reset route chosen, "" when the erase never got that far
    boot_count: int | None = None  # Android: settings global boot_count read before the reset
    had_adb: bool = False  # Android: the station's key was accepted before the reset


@dataclass(frozen=True, slots=True)
class ReturnVerdict:
    returned: Returned
    reason: str
    evidence: tuple[EvidenceItem, ...] = ()
    verified: VerifyResult | None = None  # set when RESET: the verification it actually got


class DriverError(Exception):
    """A phone did something the driver cannot go on from; the message is for the technician."""


class DeviceGone(DriverError):
    """The phone left the bus (unplugged, or rebooting) while we talked to it."""


class GarbledReply(DriverError):
    """The phone answered with bytes that do not parse."""


Progress = Callable[[str], Awaitable[None] | None]
# Ask the technician to look at the phone and say what its screen shows. The application
# records the answer under the technician's name before it returns; the question names the
# screens to tell apart ("Welcome" / "Verify your account" / anything else).
Attest = Callable[[str], Awaitable[ScreenSeen]]


class PhoneDriver(Protocol):
    """One attached phone. Every method sends only allow-listed requests.

    After ``erase`` a driver names what it did: ``route`` is a stable code (e.g.
    "test_harness", "guided_recovery", "mobilebackup2", "mcinstall") and ``method_used`` the
    words for the certificate.
    """

    platform: Platform
    route: str
    method_used: str

    async def identify(self) -> tuple[DeviceFacts, list[EvidenceItem]]: ...

    async def blockers(self) -> tuple[list[Blocker], list[EvidenceItem]]: ...

    async def erase(self, progress: Progress) -> list[EvidenceItem]: ...

    async def wait_for_return(self, timeout_s: float, progress: Progress) -> list[EvidenceItem]: ...

    async def verify(
        self, progress: Progress | None = None, attest: Attest | None = None
    ) -> VerifyResult: ...

    async def judge_return(
        self, before: Before, progress: Progress, attest: Attest | None
    ) -> ReturnVerdict:
        """After ``identify`` of a phone whose erasure a stopped station left interrupted:
        reset, not reset, or unsure, from what the phone reports now (never from this object's
        memory of an erase it did not do)."""
        ...
