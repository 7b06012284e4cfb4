"""Blockers judged from what the phone answered: pure functions, no I/O."""

from __future__ import annotations

from typing import Any

from drivers.contract import ActivationLock, Blocker, BlockerCode
from drivers.ios.pairing import TrustState

SIM_ABSENT = "kCTSIMSupportSIMStatusNotInserted"
TRAY_WITH_SIM = "kCTSIMSupportSIMTrayInsertedWithSIM"
# What a phone says when it needs its passcode once before services start (e.g. after a
# restart); the lockdown error names (PasswordProtected) are pymobiledevice3's.
LOCKED_SINCE_RESTART = Blocker(
    BlockerCode.PASSCODE_LOCKED,
    "The iPhone restarted and stays locked until its passcode is entered once.",
    "Unlock the phone once with its passcode (Face ID / Touch ID do not count after a "
    "restart), then check again.",
)


def trust_blocker(state: TrustState) -> Blocker | None:
    if state is TrustState.LOCKED:
        return Blocker(
            BlockerCode.PASSCODE_LOCKED,
            "The iPhone is locked with a passcode, so it will not pair with the station.",
            "Unlock the phone with its passcode, then tap Trust. Without the passcode, the "
            "phone must be erased in recovery mode instead.",
        )
    if state is TrustState.DENIED:
        return Blocker(
            BlockerCode.NOT_TRUSTED,
            "Someone tapped Don't Trust on the iPhone.",
            "Unplug and plug the phone back in, then tap Trust and enter its passcode.",
        )
    if state is TrustState.PENDING:
        return Blocker(
            BlockerCode.NOT_TRUSTED,
            "The iPhone has not confirmed Trust This Computer.",
            "Tap Trust on the phone and enter its passcode.",
        )
    return None


def activation_lock_blocker(lock: ActivationLock, reason: str) -> Blocker | None:
    if lock is ActivationLock.LOCKED:
        return Blocker(
            BlockerCode.ACTIVATION_LOCK,
            f"Activation Lock is on ({reason}): after an erase the phone stays locked to the "
            "owner's Apple ID.",
            "Ask the owner to sign out of iCloud on the phone (Settings → [name] → Sign Out), or "
            "to remove it at icloud.com/find (Find Devices → the phone → Remove This Device); "
            "for a company phone, have the customer release it in Apple Business Manager. "
            "Then check again.",
        )
    if lock is ActivationLock.UNKNOWN:
        return Blocker(
            BlockerCode.ACTIVATION_LOCK,
            f"Activation Lock could not be read: {reason}.",
            "Check Settings → [name] → Find My on the phone if it is unlocked. The erase may go "
            "on; the certificate will say whether the phone came back locked or unknown.",
            blocking=False,
        )
    return None


def mdm_blockers(cloud: dict[str, Any], profiles: dict[str, Any]) -> list[Blocker]:
    metadata = profiles.get("ProfileMetadata") or {}
    mdm_profile = any(isinstance(m, dict) and m.get("IsMDMProfile") for m in metadata.values())
    enrolled = bool(cloud.get("ConfigurationURL") or cloud.get("IsMDMUnremovable") or mdm_profile)
    if enrolled:
        org = cloud.get("OrganizationName") or "an organisation"
        return [
            Blocker(
                BlockerCode.MDM,
                f"The iPhone is enrolled in device management by {org}.",
                "Have the customer release the phone from their MDM / Apple Business Manager "
                "before wiping; it would re-enrol itself after the erase.",
            )
        ]
    if cloud.get("IsSupervised"):
        return [
            Blocker(
                BlockerCode.MDM,
                "The iPhone is supervised (no MDM enrolment found).",
                "No action needed: it will be erased through MobileConfig.",
                blocking=False,
            )
        ]
    return []


def sim_blocker(sim_status: Any, tray_status: Any) -> Blocker | None:
    if tray_status == TRAY_WITH_SIM:
        return Blocker(
            BlockerCode.SIM_PRESENT,
            "A SIM card is in the tray.",
            "Eject the SIM tray and return the SIM card to the customer.",
        )
    if sim_status not in (None, SIM_ABSENT):
        # Phones with an embedded Apple SIM read Ready with an empty tray and no plan
        # (libimobiledevice #359), so this cannot tell a plan from none: a warning, not a stop.
        return Blocker(
            BlockerCode.SIM_PRESENT,
            "The iPhone reports a ready SIM with no card in the tray: it may hold an eSIM plan.",
            "Check Settings → Mobile Service; delete a plan the customer wants gone, or note "
            "that the erase may remove it.",
            blocking=False,
        )
    return None
