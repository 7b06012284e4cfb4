"""What the technician is told to do with their hands, and the question asked at the end.

The key combinations are the makers' published recovery-mode steps; the station never decides
anything from them, it only shows them.
"""

from __future__ import annotations

ENABLE_DEBUGGING = (
    "USB debugging is off. The station can still wipe this phone through recovery (guided), "
    "but cannot read its accounts, MDM or apps first."
)
ALLOW_PROMPT = "Tap 'Allow' on the phone's 'Allow USB debugging?' prompt (tick 'Always allow')."

KEYS_DEFAULT = (
    "Power the phone off. Hold Volume Down + Power until the bootloader menu shows; use the "
    "volume keys to choose 'Recovery mode' and Power to select it. At 'No command', hold Power "
    "and tap Volume Up once."
)
KEYS_BY_MAKER = {
    "samsung": (
        "Power the phone off and keep the USB cable in. Hold Volume Up + Side (Power) key until "
        "the Samsung logo shows, then let go: the Android Recovery menu opens."
    ),
}
IN_RECOVERY = (
    "In the recovery menu: volume keys to 'Wipe data/factory reset', Power to select, confirm "
    "'Factory data reset', then 'Reboot system now'. Leave the cable in."
)
QUESTION = (
    "Look at the phone's screen now. Is it the setup wizard's Welcome screen ('Hi there' / "
    "'Welcome' / 'Start')? Does it ask for the previous owner's account ('Verify your account' "
    "for Google, or the maker's: Samsung account, Mi account, HUAWEI/HONOR ID)? "
    "Or anything else (the owner's home or lock screen, an error, a boot loop)?"
)


def keys_for(manufacturer: str) -> str:
    return KEYS_BY_MAKER.get(manufacturer.strip().lower(), KEYS_DEFAULT)
