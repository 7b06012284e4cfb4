"""Blockers judged from what the phone answered: pure functions, no I/O."""

from __future__ import annotations

from typing import Any

from drivers.contract import Blocker, BlockerCode
from drivers.ios.pairing import TrustState

SIM_ABSENT = "kCTSIMSupportSIMStatusNotInserted"
TRAY_WITH_SIM = "kCTSIMSupportSIMTrayInsertedWithSIM"


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


def find_my_blocker(is_associated: Any) -> Blocker | None:
    if is_associated is True:
        return Blocker(
            BlockerCode.ACTIVATION_LOCK,
            "Find My iPhone is on: after an erase the phone stays locked to the owner's Apple ID.",
            "Ask the owner to turn off Find My (Settings → [name] → Find My) or remove the "
            "phone at icloud.com/find, then check again.",
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
        return Blocker(
            BlockerCode.SIM_PRESENT,
            "An eSIM is active on the iPhone.",
            "Remove the eSIM (Settings → Mobile Service → the plan → Delete eSIM) or record "
            "the customer's consent to erase it with the phone.",
        )
    return None
