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
    # The SDK level decides which commands exist (dpm list-owners: 31+, testharness: 29+).
    "sdk": "getprop ro.build.version.sdk",
    # user / userdebug / eng: only the last two let the shell's FACTORY_RESET broadcast work.
    "build_type": "getprop ro.build.type",
    "security_patch": "getprop ro.build.version.security_patch",
    "crypto_state": "getprop ro.crypto.state",
    "crypto_type": "getprop ro.crypto.type",
    "sim_state": "getprop gsm.sim.state",
    "battery": "dumpsys battery | grep level",
    "storage": "df /data | tail -n 1",
    # Account *types* and how many of each, in every user and profile (the dump has a section
    # per user): only "Account {name=…, type=…}" lines are accounts (authenticators print
    # "AuthenticatorDescription {type=…}"), and sed drops everything up to the last ", type="
    # on the phone, so no account name leaves it. Reviewed for issue 27 (makers' owner locks).
    "account_types": (
        "dumpsys account | grep 'Account {name=' | sed 's/.*, *type=//;s/}.*//' | sort | uniq -c"
    ),
    "accounts": "dumpsys account | grep -c 'Account {name='",
    "owners": "dpm list-owners",  # Android 12+
    # Before Android 12 `dpm` has no list-owners; the device policy dump names the owners.
    "device_owner_legacy": "dumpsys device_policy | grep -c 'Device Owner:'",
    "profile_owner_legacy": "dumpsys device_policy | grep -c 'Profile Owner (User'",
    # The credential *type* per user ("CredentialType: Pin"), never the credential.
    "lock_credential": "dumpsys lock_settings | grep CredentialType",
    "users": "pm list users | grep -c UserInfo",
    # Apps someone installed carry an installer; preloads the system put back show null.
    "user_apps": "pm list packages -3 -i | grep -v -c installer=null",
    "user_files": (
        "find /sdcard/DCIM /sdcard/Pictures /sdcard/Download /sdcard/Documents /sdcard/Movies "
        "/sdcard/Music -type f 2>/dev/null | wc -l"
    ),
    "setup_complete": "settings get secure user_setup_complete",
    "device_provisioned": "settings get global device_provisioned",
    # Counts boots; a wipe clears the settings database, so it starts again.
    "boot_count": "settings get global boot_count",
    # A device identifier a wipe replaces; the driver keeps only a salted hash of it.
    "android_id": "settings get secure android_id",
    "test_harness_flag": "getprop persist.sys.test_harness",
    # The resets: Test Harness Mode (Android 10+), and the broadcast userdebug builds accept.
    "test_harness_enable": "cmd testharness enable",
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
