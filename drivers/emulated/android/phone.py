"""One emulated Android phone: its OS state, its power/boot mode, and the technician's hands.

Everything runs on the lab's event loop; the technician API is safe to call from other threads.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from enum import StrEnum

from drivers.emulated.android import owner
from drivers.emulated.android.profile import AndroidProfile


class Mode(StrEnum):
    ANDROID = "android"  # booted; on USB as ADB (debugging on) or MTP only (debugging off)
    RECOVERY = "recovery"  # stock recovery menu: no USB connection
    OFF = "off"  # rebooting, wiping, boot-looping


class PhoneState:
    """What the phone's operating system holds; a factory reset replaces it."""

    def __init__(self, profile: AndroidProfile, phone: EmulatedAndroid) -> None:
        self.profile = profile
        self._phone = phone
        self.accounts = list(profile.accounts)
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

    def factory_state(self) -> None:
        self.accounts = []
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
        if encrypted:
            props["ro.crypto.type"] = p.encryption
        return props

    def settings(self) -> dict[tuple[str, str], str]:
        done = "1" if self.setup_complete else "0"
        return {
            ("secure", "user_setup_complete"): done,
            ("global", "device_provisioned"): done,
            ("global", "adb_enabled"): "1" if self.debugging else "0",
            ("global", "device_name"): self.device_name,
            ("secure", "bluetooth_name"): self.device_name,
        }

    def request_factory_reset(self) -> None:
        self._phone.loop.call_soon(self._phone.start_wipe)


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
        self._listeners: list[Callable[[EmulatedAndroid], None]] = []
        self._pending_prompts: list[asyncio.Future[bool]] = []
        self.technician = Technician(self)

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
        """What the phone presents on USB now: "adb", "mtp" or nothing."""
        if not self.plugged or self.mode is not Mode.ANDROID:
            return None
        return "adb" if self.state.debugging else "mtp"

    # -- authorisation ----------------------------------------------------------------------
    async def ask_owner_to_allow(self, key_b64: str) -> bool:
        """The "Allow USB debugging?" dialog. The profile's owner answers after a moment."""
        if self.profile.auth == "deny":
            return False  # the dialog is dismissed: the host stays unauthorised
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
        self._go(mode)
        if mode is Mode.RECOVERY and self.profile.auto_technician:
            self.loop.call_later(self.profile.technician_seconds, self.technician.wipe_now)

    def start_wipe(self) -> None:
        self.log("wipe: started")
        self._go(Mode.OFF)
        self.loop.call_later(self.profile.wipe_seconds, self._wiped)

    def _wiped(self) -> None:
        if self.profile.fault == "never_returns":
            self.log("wipe: boot loop")
            return  # stays off for good
        if self.profile.fault != "fake_reset":
            self.state.factory_state()
            self.resets += 1
        self.log("wipe: done")
        self.loop.call_later(self.profile.boot_seconds, self._factory_booted)

    def _factory_booted(self) -> None:
        self._go(Mode.ANDROID)
        if not self.state.debugging and self.profile.auto_technician:
            self.loop.call_later(self.profile.technician_seconds, self.technician.enable_now)


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
        if self._phone.mode is Mode.ANDROID and not self._phone.state.debugging:
            self._phone.log("technician: USB debugging enabled")
            self._phone.state.debugging = True
            self._phone._changed()

    # From any thread ----------------------------------------------------------------------
    def wipe_data_in_recovery(self) -> None:
        self._do(self.wipe_now)

    def enable_usb_debugging(self) -> None:
        self._do(self.enable_now)

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

        self._do(sign_out)

    def snapshot(self) -> PhoneState:
        return copy.copy(self._phone.state)
