"""One emulated Android phone: its OS state, its power/boot mode, and the technician's hands.

Everything runs on the lab's event loop; the technician API is safe to call from other threads.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import Callable
from enum import StrEnum

from drivers.emulated.android import owner
from drivers.emulated.android.profile import AndroidProfile


class Mode(StrEnum):
    ANDROID = "android"  # booted; on USB as ADB (debugging on) or MTP only (debugging off)
    RECOVERY = "recovery"  # stock recovery menu: no USB connection
    OFF = "off"  # rebooting, wiping, boot-looping


# Account types whose owner a recovery reset asks for again (Google FRP and the makers' locks:
# docs/lab-fidelity.md, "makers' owner locks").
OWNER_LOCK_TYPES = frozenset(
    {"com.google", "com.osp.app.signin", "com.xiaomi", "com.huawei.hwid", "com.hihonor.id"}
)


class PhoneState:
    """What the phone's operating system holds; a factory reset replaces it."""

    def __init__(self, profile: AndroidProfile, phone: EmulatedAndroid) -> None:
        self.profile = profile
        self._phone = phone
        self.accounts = list(profile.accounts)
        self.profile_accounts = list(profile.profile_accounts)
        self.device_owner = profile.device_owner
        self.users = profile.users
        self.apps = profile.third_party_apps
        self.files = dict(profile.files)
        self.messages = profile.messages
        self.contacts = profile.contacts
        self.device_name = owner.DEVICE_NAME  # the name the owner gave the phone in Settings
        self.setup_complete = profile.setup_complete
        self.debugging = profile.debugging
        self.sim = profile.sim
        self.authorized_keys: set[str] = set()
        self.lock_screen = profile.lock_screen
        self.preloads = profile.preloads  # third-party, installer=null, survive a reset
        self.boot_count = profile.boot_count
        self.android_id = secrets.token_hex(8)  # 64 bits, as SettingsProvider makes it
        self.test_harness = False  # persist.sys.test_harness
        self.frp_locked = False  # "Verify your account" after an untrusted reset

    def factory_state(self, *, trusted: bool) -> None:
        """What a wipe of /data leaves. ``trusted``: started by the OS itself (Test Harness,
        Settings), which does not arm factory-reset protection; a recovery wipe does when a
        Google account was signed in."""
        signed_in = set(self.accounts) | set(self.profile_accounts)
        self.frp_locked = not trusted and bool(signed_in & OWNER_LOCK_TYPES)
        self.accounts = []
        self.profile_accounts = []
        self.device_owner = None
        self.users = 1
        self.apps = 0
        self.files = {folder: 0 for folder in self.files}
        self.messages = 0
        self.contacts = 0
        self.device_name = self._phone.model
        self.setup_complete = False
        self.debugging = False  # developer options are gone after a reset
        self.authorized_keys = set()
        self.lock_screen = "none"
        self.boot_count = 0  # the settings database lives on /data; the next boot makes it 1
        self.android_id = secrets.token_hex(8)  # a new one for the new user 0
        self.test_harness = False

    def test_harness_boot(self, keys: set[str]) -> None:
        """TestHarnessModeService on the first boot after its reset: restore the ADB keys,
        mark the device provisioned and setup complete, disable the lock screen, enable ADB
        and set persist.sys.test_harness (AOSP TestHarnessModeService.java)."""
        self.authorized_keys = set(keys)
        self.setup_complete = True
        self.debugging = True
        self.lock_screen = "none"
        self.test_harness = True

    def properties(self) -> dict[str, str]:
        p = self.profile
        encrypted = p.encryption != "none"
        props = {
            "ro.product.manufacturer": p.manufacturer,
            "ro.product.brand": p.brand,
            "ro.product.model": self._phone.model,
            "ro.product.device": p.device,
            "ro.product.name": p.device,
            "ro.serialno": self._phone.serial,
            "ro.boot.serialno": self._phone.serial,
            "ro.build.version.release": p.android_version,
            "ro.build.version.sdk": str(p.sdk),
            "ro.build.version.security_patch": p.security_patch,
            "ro.build.type": p.build_type,
            "ro.crypto.state": "encrypted" if encrypted else "unencrypted",
            "gsm.sim.state": self.sim,
            "sys.boot_completed": "1",
            "persist.sys.usb.config": "mtp,adb" if self.debugging else "mtp",
        }
        if self.test_harness:
            props["persist.sys.test_harness"] = "1"
        if encrypted:
            props["ro.crypto.type"] = p.encryption
        return props

    def settings(self) -> dict[tuple[str, str], str]:
        done = "1" if self.setup_complete else "0"
        return {
            ("secure", "user_setup_complete"): done,
            ("global", "device_provisioned"): done,
            ("global", "adb_enabled"): "1" if self.debugging else "0",
            ("global", "boot_count"): str(self.boot_count),
            ("secure", "android_id"): self.android_id,
            ("global", "device_name"): self.device_name,
            ("secure", "bluetooth_name"): self.device_name,
        }

    def request_factory_reset(self) -> None:
        """FACTORY_RESET broadcast accepted (userdebug/eng builds only in this lab)."""
        # As with reboot: the reply leaves before the phone goes down.
        self._phone.loop.call_later(0.05, self._phone.start_wipe, "broadcast")

    def request_test_harness(self) -> None:
        """`cmd testharness enable` succeeded: keys stored, factory reset on its way."""
        if self._phone.profile.fault == "resets_before_reply":
            self._phone.start_wipe("test_harness")  # the reply never leaves the phone
            return
        self._phone.loop.call_later(0.05, self._phone.start_wipe, "test_harness")


class EmulatedAndroid:
    def __init__(
        self,
        profile: AndroidProfile,
        loop: asyncio.AbstractEventLoop,
        serial: str | None = None,
        model: str | None = None,
    ) -> None:
        self.profile = profile
        self.loop = loop
        self.serial = serial or profile.serial
        self.model = model or profile.model
        self.state = PhoneState(profile, self)
        self.mode = Mode.ANDROID
        self.plugged = True
        self.received: list[str] = []  # every service the phone was asked to open, in order
        self.events: list[str] = []
        self.resets = 0
        self.pulled_once = False  # the one-time unplug faults have happened
        self._listeners: list[Callable[[EmulatedAndroid], None]] = []
        self._pending_prompts: list[asyncio.Future[bool]] = []
        self.technician = Technician(self)
        if (
            profile.auto_technician
            and profile.guided_keys_after_s is not None
            and (not profile.debugging or profile.auth == "deny")
        ):
            # No ADB for the station: the technician presses the keys on a timer (tests).
            loop.call_later(profile.guided_keys_after_s, self.technician.recovery_keys_now)

    # -- observers (bus, TCP listener) ------------------------------------------------------
    def subscribe(self, listener: Callable[[EmulatedAndroid], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    def log(self, event: str) -> None:
        self.events.append(event)

    @property
    def usb_function(self) -> str | None:
        """What the phone presents on USB now: "adb", "mtp", "recovery_adb" or nothing."""
        if not self.plugged:
            return None
        if self.mode is Mode.RECOVERY:
            # Some stock recoveries run adbd ("adb devices" shows them as recovery or
            # unauthorized); most show nothing at all.
            return "recovery_adb" if self.profile.recovery_adb else None
        if self.mode is not Mode.ANDROID:
            return None
        return "adb" if self.state.debugging else "mtp"

    @property
    def screen(self) -> str:
        """What a person looking at the phone sees: "off", "recovery", "welcome" (setup
        wizard), "frp" ("Verify your account"), "lockscreen" or "home"."""
        if self.mode is Mode.OFF:
            return "off"
        if self.mode is Mode.RECOVERY:
            return "recovery"
        if not self.state.setup_complete:
            return "frp" if self.state.frp_locked else "welcome"
        return "lockscreen" if self.state.lock_screen != "none" else "home"

    # -- authorisation ----------------------------------------------------------------------
    async def ask_owner_to_allow(self, key_b64: str) -> bool:
        """The "Allow USB debugging?" dialog. The profile's owner answers after a moment."""
        if self.profile.auth == "deny" or self.usb_function != "adb":
            return False  # dismissed, or recovery's adbd, which has no dialog
        await asyncio.sleep(min(self.profile.technician_seconds, 0.2))
        if self.usb_function != "adb":
            return False
        self.state.authorized_keys.add(key_b64)  # "Always allow from this computer"
        return True

    # -- boot and reset ---------------------------------------------------------------------
    def reboot(self, target: str) -> None:
        self.log(f"reboot:{target}")
        self.loop.call_later(0.05, self._go, Mode.OFF)
        after = Mode.RECOVERY if target == "recovery" else Mode.ANDROID
        self.loop.call_later(0.05 + self.profile.boot_seconds, self._booted, after)

    def unplug_now(self) -> None:
        self.log("unplugged")
        self.plugged = False
        self._changed()

    def _go(self, mode: Mode) -> None:
        self.mode = mode
        self._changed()

    def _booted(self, mode: Mode) -> None:
        if mode is Mode.ANDROID:
            self.state.boot_count += 1
        self._go(mode)
        if mode is Mode.RECOVERY and self.profile.auto_technician:
            self.loop.call_later(self.profile.technician_seconds, self.technician.wipe_now)

    def start_wipe(self, how: str = "recovery") -> None:
        """``how``: "recovery" (Wipe data/factory reset), "test_harness" or "broadcast"."""
        if self.profile.fault == "unplug_mid_reset":
            self.unplug_now()  # the cable comes out as the phone goes down
            return
        once = self.profile.fault in ("unplug_before_reset_once", "unplug_after_reset_began")
        if once and not self.pulled_once:
            self.pulled_once = True
            self.unplug_now()
            if self.profile.fault == "unplug_before_reset_once":
                return  # pulled before the reset began: nothing changed on the phone
        if self.profile.fault == "ignores_reset":
            self.log(f"wipe: {how} ignored")
            if how == "recovery":
                self.reboot("android")  # back to the owner's phone, untouched
            return
        self.log(f"wipe: started ({how})")
        kept_keys = set(self.state.authorized_keys) if how == "test_harness" else set()
        self._go(Mode.OFF)
        self.loop.call_later(self.profile.wipe_seconds, self._wiped, how, kept_keys)

    def _wiped(self, how: str, kept_keys: set[str]) -> None:
        if self.profile.fault == "never_returns":
            self.log("wipe: boot loop")
            return  # stays off for good
        if self.profile.fault != "fake_reset":
            self.state.factory_state(trusted=how != "recovery")
            self.resets += 1
        self.log("wipe: done")
        self.loop.call_later(self.profile.boot_seconds, self._factory_booted, how, kept_keys)

    def _factory_booted(self, how: str, kept_keys: set[str]) -> None:
        self.state.boot_count += 1
        if how == "test_harness":
            if self.profile.fault == "fake_reset":
                self.state.test_harness = True  # a liar also sets the flag it knows we read
            else:
                self.state.test_harness_boot(kept_keys)
        # Otherwise the setup wizard: USB debugging is off and cannot be switched on before
        # setup is finished, so the phone shows MTP only.
        self._go(Mode.ANDROID)


class Technician:
    """The person at the bench. Methods are thread-safe: they run on the lab loop."""

    def __init__(self, phone: EmulatedAndroid) -> None:
        self._phone = phone

    def _do(self, fn: Callable[[], None]) -> None:
        self._phone.loop.call_soon_threadsafe(fn)

    # On the loop --------------------------------------------------------------------------
    def wipe_now(self) -> None:
        if self._phone.mode is Mode.RECOVERY:
            self._phone.log("technician: Wipe data/factory reset")
            self._phone.start_wipe()

    def enable_now(self) -> None:
        """Developer options > USB debugging. Not reachable from the setup wizard: a phone
        that has not finished setup stays as it is."""
        state = self._phone.state
        if self._phone.mode is Mode.ANDROID and state.setup_complete and not state.debugging:
            self._phone.log("technician: USB debugging enabled")
            state.debugging = True
            self._phone._changed()

    def recovery_keys_now(self) -> None:
        """Power off, hold the recovery key combination: the phone boots into recovery."""
        if self._phone.mode is Mode.ANDROID and self._phone.plugged:
            self._phone.log("technician: recovery key combination")
            self._phone.reboot("recovery")

    def finish_setup_now(self) -> None:
        """Skip through the setup wizard (sets user_setup_complete and device_provisioned);
        an FRP-locked phone cannot get past "Verify your account"."""
        state = self._phone.state
        if self._phone.mode is Mode.ANDROID and not state.setup_complete and not state.frp_locked:
            self._phone.log("technician: setup finished")
            state.setup_complete = True
            self._phone._changed()

    # From any thread ----------------------------------------------------------------------
    def press_recovery_keys(self) -> None:
        self._do(self.recovery_keys_now)

    def wipe_data_in_recovery(self) -> None:
        self._do(self.wipe_now)

    def enable_usb_debugging(self) -> None:
        self._do(self.enable_now)

    def finish_setup(self) -> None:
        self._do(self.finish_setup_now)

    def recovery_keys(self) -> None:
        self._do(self.recovery_keys_now)

    def set_screen_lock(self, kind: str) -> None:
        def lock() -> None:
            self._phone.state.lock_screen = kind

        self._do(lock)

    def unplug(self) -> None:
        self._do(self._phone.unplug_now)

    def plug_in(self) -> None:
        def plug() -> None:
            self._phone.plugged = True
            self._phone._changed()

        self._do(plug)

    def remove_sim(self) -> None:
        def remove() -> None:
            self._phone.state.sim = "ABSENT"

        self._do(remove)

    def sign_out_accounts(self) -> None:
        def sign_out() -> None:
            self._phone.state.accounts = []
            self._phone.state.profile_accounts = []

        self._do(sign_out)

    def snapshot(self) -> PhoneState:
        return copy.copy(self._phone.state)
