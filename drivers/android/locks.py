"""Owner locks that survive a factory reset, by the account type that arms them.

A reset from recovery (or by a stranger) leaves these phones asking for the account that was
signed in before. Each type here was seen in a real `dumpsys account` or in the maker's own code;
the sources are in docs/lab-fidelity.md ("makers' owner locks"). The station only ever sees types
and counts: `allowlist.SHELL["account_types"]` strips every account name on the phone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OwnerLock:
    account_type: str
    maker: str  # whose lock it is, as the technician knows the brand
    lock: str  # the lock's name on the phone after a reset
    release: str  # how the owner (or the customer's admin) releases it


KNOWN: tuple[OwnerLock, ...] = (
    OwnerLock(
        "com.google",
        "Google",
        "Factory Reset Protection ('Verify your account')",
        "On the phone: Settings > Accounts (in every user and work profile): remove each Google "
        "account; or the owner removes the phone at myaccount.google.com > Security > Your "
        "devices.",
    ),
    OwnerLock(
        "com.osp.app.signin",
        "Samsung",
        "Samsung Reactivation Lock / Find My Mobile",
        "On the phone: Settings > Accounts and backup > Manage accounts > Samsung account > "
        "Remove account (needs the owner's Samsung password); or the owner removes it at "
        "smartthingsfind.samsung.com.",
    ),
    OwnerLock(
        "com.xiaomi",
        "Xiaomi/Redmi/POCO",
        "Xiaomi Find device (Mi Cloud activation lock)",
        "On the phone: Settings > Mi Account > Sign out (needs the owner's Mi account password; "
        "turns off Find device); or the owner removes the phone at i.mi.com.",
    ),
    OwnerLock(
        "com.huawei.hwid",
        "Huawei",
        "HUAWEI Find Device / activation lock",
        "On the phone: Settings > HUAWEI ID > Log out (needs the owner's HUAWEI ID password; "
        "turns off Find Device); or the owner removes the phone at cloud.huawei.com.",
    ),
    OwnerLock(
        "com.hihonor.id",
        "HONOR",
        "HONOR Find Device / activation lock",
        "On the phone: Settings > HONOR ID > Log out (needs the owner's HONOR ID password); "
        "or the owner removes the phone in HONOR's cloud.",
    ),
)
BY_TYPE: dict[str, OwnerLock] = {lock.account_type: lock for lock in KNOWN}

# Makers whose own anti-theft lock is armed by an account whose type no public capture or
# source the station had shows. On their phones any account of a type the station does not know
# may be that lock: the technician is told which one to look for.
UNSOURCED: dict[str, str] = {
    "oppo": "OPPO Find My Phone (OPPO/HeyTap account)",
    "realme": "realme Find My Phone (realme/HeyTap account)",
    "oneplus": "OnePlus Find My Phone (OnePlus/HeyTap account, ColorOS-based releases)",
    "vivo": "vivo Find my phone (vivo account)",
    "iqoo": "vivo Find my phone (vivo account)",
    "lenovo": "Lenovo ID",
    # HONOR's type is taken from its account app's package name (as Huawei's type is its
    # package's): not seen in a capture, so other types are still pointed out.
    "honor": "HONOR Find Device (HONOR ID)",
}

_ROW = re.compile(r"^\s*(\d+)\s+(\S+?)\}?\s*$")


def parse_types(text: str) -> dict[str, int] | None:
    """Account type -> count from `… | sed 's/.*, *type=//' | sort | uniq -c`; None if the
    answer is not in that shape (an empty answer is no accounts)."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _ROW.match(line)
        if match is None:
            return None
        counts[match.group(2)] = counts.get(match.group(2), 0) + int(match.group(1))
    return counts


@dataclass(frozen=True, slots=True)
class LockFindings:
    found: dict[str, int]  # known lock type -> accounts signed in (all users)
    unknown: dict[str, int]  # account types the station does not know -> count
    unsourced: str  # the maker's own lock the station cannot name a type for, or ""

    def line(self) -> str:
        """What the certificate says about the owner locks checked before the reset."""
        makers = ", ".join(dict.fromkeys(lock.maker for lock in KNOWN))
        if self.found:
            text = "signed in before the reset: " + ", ".join(
                f"{BY_TYPE[t].maker} account ({BY_TYPE[t].lock})" for t in sorted(self.found)
            )
        else:
            text = f"checked before the reset in every user ({makers} accounts): none signed in"
        if self.unsourced:
            text += (
                f"; other account types present, may include {self.unsourced}"
                if self.unknown
                else "; no account of any type"
            )
        return text


def findings(counts: dict[str, int], manufacturer: str) -> LockFindings:
    found = {t: n for t, n in counts.items() if t in BY_TYPE}
    unknown = {t: n for t, n in counts.items() if t not in BY_TYPE}
    return LockFindings(found, unknown, UNSOURCED.get(manufacturer.strip().lower(), ""))
