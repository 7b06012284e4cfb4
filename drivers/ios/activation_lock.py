"""Activation Lock judged from what the phone answered: pure functions, no I/O.

Signals, strongest first (sources in docs/lab-fidelity.md, ## iOS):

1. NVRAM ``fm-activation-locked`` (YES/NO), readable in a paired session. Written by the
   system, root-only and never deletable (xnu IONVRAM.cpp), so it survives the erase.
2. NVRAM ``fm-spstatus`` YES: Find My is on (offline finding); with Find My on, an erase
   leaves Activation Lock on.
3. ``com.apple.fmip IsAssociated`` — believed only when it says true: real phones answer false
   with Find My on, and always false at Setup Assistant (libimobiledevice #275, #531, #1489;
   libideviceactivation #33). A false from it is never evidence of "not locked".

``ActivationState`` says nothing about the lock (every erased phone is Unactivated), and an
activation attempt would activate the phone through Apple's server: not a read, not allowed.
"""

from __future__ import annotations

from typing import Any

from drivers.contract import ActivationLock

YES = "YES"
NO = "NO"


def judge(nvram: dict[str, str] | None, is_associated: Any) -> tuple[ActivationLock, str]:
    """(lock, reason). The reason is plain words for the certificate, for every outcome."""
    flag = (nvram or {}).get("fm-activation-locked", "").upper()
    spstatus = (nvram or {}).get("fm-spstatus", "").upper()
    if flag == YES:
        return ActivationLock.LOCKED, (
            "the phone's NVRAM reports Activation Lock on (fm-activation-locked=YES)"
        )
    if spstatus == YES:
        return ActivationLock.LOCKED, "the phone's NVRAM reports Find My on (fm-spstatus=YES)"
    if is_associated is True:
        return ActivationLock.LOCKED, "the phone reports Find My associated (IsAssociated=true)"
    if flag == NO:
        return ActivationLock.NOT_LOCKED, (
            "the phone's NVRAM reports Activation Lock off (fm-activation-locked=NO)"
        )
    if nvram is None:
        why = "the phone gave no NVRAM record"
    elif flag:
        why = f"the NVRAM lock flag reads {flag!r}, which is neither YES nor NO"
    else:
        why = "the phone's NVRAM holds no Activation Lock flag (fm-activation-locked)"
    return ActivationLock.UNKNOWN, (
        f"{why}, and IsAssociated=false is not reliable on real iPhones; check the phone's "
        "screen after setup, or ask the owner to remove it from Find My"
    )
