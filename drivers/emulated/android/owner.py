"""What the owner left on a returned lab phone: canary values that only a careless station sees.

A real phone hands these to anyone who asks the wrong question: `dumpsys account` prints account
names, `ls`/`find` under /sdcard print file names, `content query` prints messages and contacts,
`settings get global device_name` prints the name the owner gave the phone. The driver never asks
(it counts on the phone); tests/privacy searches records, logs, exports and certificates for
CANARIES to prove that none of them ever reached the station.
"""

from __future__ import annotations

# Account type -> the names of that type's accounts, in sign-in order (cycled if there are more).
ACCOUNT_NAMES: dict[str, tuple[str, ...]] = {
    "com.google": ("kari.nordmann.canary@gmail.com", "kari.jobb.canary@gmail.com"),
    "com.whatsapp": ("+47 912 34 567",),
}
OTHER_ACCOUNT = "kari.nordmann.canary@{kind}"  # any other account type

DEVICE_NAME = "Kari Nordmann's phone (canary)"  # settings global device_name / bluetooth_name

# Shared-storage folder -> the path of its n-th file below the folder (n counts from 1).
FILE_NAMES: dict[str, str] = {
    "DCIM": "Camera/IMG_canary_{n:04d}.jpg",
    "Pictures": "Screenshots/Screenshot_canary_{n:04d}.png",
    "Download": "kontoutskrift_canary_{n:04d}.pdf",
    "Documents": "selvangivelse_canary_{n:04d}.pdf",
    "Music": "song_canary_{n:04d}.mp3",
    "Movies": "VID_canary_{n:04d}.mp4",
}
OTHER_FILE = "file_canary_{n:04d}.bin"

# content://sms rows: (address, body); content://com.android.contacts rows: (name, number).
MESSAGES: tuple[tuple[str, str], ...] = (
    ("+4798765432", "Hei Kari! Canary-SMS: koden til postkassen er 4417"),
    ("+4790011223", "Canary-SMS: engangskode 771920 for innlogging i nettbanken"),
)
CONTACTS: tuple[tuple[str, str], ...] = (
    ("Ole Canary Nordmann", "+4741122334"),
    ("Canary Tannlege Berg", "+4722334455"),
)


def account_name(kind: str, nth: int) -> str:
    """The name of the nth account (from 0) of type ``kind``."""
    names = ACCOUNT_NAMES.get(kind) or (OTHER_ACCOUNT.format(kind=kind),)
    return names[nth % len(names)]


def file_name(folder: str, n: int) -> str:
    """The path of the nth file (from 1) below ``folder``, e.g. ``Camera/IMG_canary_0001.jpg``."""
    return FILE_NAMES.get(folder, OTHER_FILE).format(n=n)


# Every string above that must never appear in anything the station keeps, logs or prints.
CANARIES: tuple[str, ...] = (
    *(name for names in ACCOUNT_NAMES.values() for name in names),
    DEVICE_NAME,
    *(file_name(folder, 1).rsplit("/", 1)[-1] for folder in FILE_NAMES),
    *(pattern.rsplit("/", 1)[-1].split("{", 1)[0] for pattern in FILE_NAMES.values()),
    f"/sdcard/DCIM/{file_name('DCIM', 1)}",
    *(text for row in MESSAGES for text in row),
    *(text for row in CONTACTS for text in row),
)
