"""What the owner left on a returned lab iPhone: canary values that only a careless station keeps.

lockdownd gives these to any paired host: the name the owner gave the phone (DeviceName, even
before pairing) and the SIM's phone number (PhoneNumber). The iOS driver reads DeviceName only to
record whether it is the factory default; tests/privacy searches records, logs, exports and
certificates for CANARIES to prove that no owner value ever reached the station.
"""

from __future__ import annotations

# DeviceName of the lab profiles whose owner renamed the phone (the others answer "iPhone").
DEVICE_NAMES: tuple[str, ...] = ("Kari sin iPhone", "Kari Nordmann's iPhone", "iPhone (Ole)")
FACTORY_DEVICE_NAME = "iPhone"
PHONE_NUMBER = "+47 934 56 789"  # lockdown PhoneNumber while a SIM (or eSIM) is active

# NVRAM fm-account-masked on a Find My phone: the owner's Apple ID, masked by iOS. The driver
# drops it on receipt; tests/drivers_ios check it never reaches evidence.
ACCOUNT_MASKED = "k***@i*****.com"

# Every owner value that must never appear in anything the station keeps, logs or prints.
CANARIES: tuple[str, ...] = (*DEVICE_NAMES, PHONE_NUMBER)
