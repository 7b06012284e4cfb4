"""The reviewed allow-list: every request the Android driver may send to a phone.

Each entry answers a question about the phone with a count, a flag or a device property; none
reads user content (file names, messages, contacts, account names): counting happens on the phone.
Changing this list needs a review, and tests fail if the driver sends anything not on it.
"""

from __future__ import annotations

# check name -> exact shell command
SHELL: dict[str, str] = {
    "manufacturer": "getprop ro.product.manufacturer",
    "model": "getprop ro.product.model",
    "device": "getprop ro.product.device",
    "serial": "getprop ro.serialno",
    "android_version": "getprop ro.build.version.release",
    "security_patch": "getprop ro.build.version.security_patch",
    "crypto_state": "getprop ro.crypto.state",
    "crypto_type": "getprop ro.crypto.type",
    "sim_state": "getprop gsm.sim.state",
    "battery": "dumpsys battery | grep level",
    "storage": "df /data | tail -n 1",
    "google_accounts": "dumpsys account | grep -c type=com.google",
    "accounts": "dumpsys account | grep -c 'Account {'",
    "owners": "dpm list-owners",
    "users": "pm list users | grep -c UserInfo",
    "third_party_apps": "pm list packages -3 | wc -l",
    "user_files": (
        "find /sdcard/DCIM /sdcard/Pictures /sdcard/Download /sdcard/Documents /sdcard/Movies "
        "/sdcard/Music -type f 2>/dev/null | wc -l"
    ),
    "setup_complete": "settings get secure user_setup_complete",
    "device_provisioned": "settings get global device_provisioned",
    "factory_reset_broadcast": "am broadcast -a android.intent.action.FACTORY_RESET -p android",
}
# ADB services other than shell that the driver may open.
SERVICES: frozenset[str] = frozenset({"reboot:recovery"})


def shell_service(check: str) -> str:
    return f"shell:{SHELL[check]}"


def is_allowed(service: str) -> bool:
    """True when ``service`` (an ADB OPEN destination) is on the allow-list."""
    if service in SERVICES:
        return True
    return service.startswith("shell:") and service[len("shell:") :] in SHELL.values()
