"""The in-process iOS lab: many emulated iPhones behind one emulated usbmuxd, one event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from types import TracebackType

from drivers.emulated.ios.device import EmulatedIphone, RecordedRequest
from drivers.emulated.ios.identity import fleet_identity
from drivers.emulated.ios.profile import DEFAULT_PROFILE, Fault, IosProfile, load_profile
from drivers.emulated.ios.usbmuxd import EmulatedUsbmuxd


class IosLab:
    """Start with ``async with IosLab(path) as lab`` (or ``await lab.start()``).

    ``time_scale`` multiplies every profile delay (trust, erase/reboot); 0 makes a fleet instant.
    """

    def __init__(self, socket_path: str, *, time_scale: float = 1.0) -> None:
        self.socket_path = socket_path
        self.time_scale = time_scale
        self.usbmuxd = EmulatedUsbmuxd(socket_path, buid=str(uuid.uuid4()).upper())
        self.phones: dict[str, EmulatedIphone] = {}
        self._timers: set[asyncio.TimerHandle] = set()

    async def start(self) -> IosLab:
        await self.usbmuxd.start()
        return self

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        await self.usbmuxd.stop()

    async def __aenter__(self) -> IosLab:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- the bus --------------------------------------------------------------------------
    def attach(
        self, profile: str | IosProfile = DEFAULT_PROFILE, *, udid: str | None = None
    ) -> EmulatedIphone:
        """Plug a phone in; a UDID override gives it a fresh identity so fleets stay unique."""
        prof = load_profile(profile) if isinstance(profile, str) else profile
        if udid is not None:
            prof = dataclasses.replace(prof, udid=udid)
        if prof.udid in self.phones and self.usbmuxd.device_id_of(self.phones[prof.udid]):
            raise ValueError(f"a phone with UDID {prof.udid} is already attached")
        phone = EmulatedIphone(prof, self.time_scale)
        phone.on_erase = self._erase_started
        phone.on_pulled = self._pulled
        self.phones[prof.udid] = phone
        self.usbmuxd.attach(phone)
        return phone

    def attach_fleet(self, profiles: list[str], count: int) -> list[EmulatedIphone]:
        """``count`` phones cycling through ``profiles``, each with its own UDID/serial/IMEIs."""
        fleet = []
        for i in range(count):
            base = load_profile(profiles[i % len(profiles)])
            udid, serial, imeis = fleet_identity(base.product_type, i)
            fleet.append(self.attach(base.with_identity(udid, serial, imeis[: len(base.imeis)])))
        return fleet

    def detach(self, udid: str) -> None:
        """Pull the cable."""
        self.usbmuxd.detach(self.phones[udid])

    def replug(self, udid: str) -> None:
        """Plug a pulled phone back in, in whatever state it was left."""
        phone = self.phones[udid]
        if self.usbmuxd.device_id_of(phone) is None:
            self.usbmuxd.attach(phone)

    def phone(self, udid: str) -> EmulatedIphone:
        return self.phones[udid]

    def is_attached(self, udid: str) -> bool:
        return udid in self.phones and self.usbmuxd.device_id_of(self.phones[udid]) is not None

    def requests(self, udid: str) -> list[RecordedRequest]:
        return list(self.phones[udid].requests)

    # --- the technician's hands -----------------------------------------------------------
    def tap_trust(self, udid: str) -> None:
        self.phones[udid].tap_trust()

    def tap_dont_trust(self, udid: str) -> None:
        self.phones[udid].tap_dont_trust()

    def unlock(self, udid: str) -> None:
        self.phones[udid].unlock()

    def restart(self, udid: str) -> None:
        """The phone reboots: off the bus, back under a new DeviceID, locked until unlocked once."""
        phone = self.phones[udid]
        self.usbmuxd.detach(phone)
        phone.state.screen_locked = phone.state.passcode_set
        self.usbmuxd.attach(phone)

    def attach_profile(self, profile: IosProfile, index: int) -> EmulatedIphone:
        """Plug in one given profile (e.g. from ``load_profile_file``) under the index-th
        fleet identity, so it never collides with bundled profiles or other fleet phones."""
        udid, serial, imeis = fleet_identity(profile.product_type, index, seed=profile.name)
        return self.attach(profile.with_identity(udid, serial, imeis[: len(profile.imeis)]))

    # --- erase lifecycle ------------------------------------------------------------------
    def _erase_started(self, phone: EmulatedIphone) -> None:
        """The link drops and the phone leaves the bus; most come back after erase_s."""
        loop = asyncio.get_running_loop()
        loop.call_soon(self.usbmuxd.detach, phone)
        fault = phone.profile.fault
        if fault in (Fault.NEVER_RETURNS, Fault.UNPLUGGED_MID_ERASE):
            return
        if fault is Fault.PULLED_AFTER_ERASE_BEGAN and not phone.pulled_once:
            # Off the bus, the erase runs on: plugged in again (replug), it is erased.
            phone.pulled_once = True
            self._timers.add(loop.call_later(phone.erase_seconds(), phone.apply_erase))
            return
        timer = loop.call_later(phone.erase_seconds(), self._returned, phone)
        self._timers.add(timer)

    def _pulled(self, phone: EmulatedIphone) -> None:
        """The cable comes out (a fault's): the link drops and the phone leaves the bus."""
        asyncio.get_running_loop().call_soon(self.usbmuxd.detach, phone)

    def _returned(self, phone: EmulatedIphone) -> None:
        phone.apply_erase()
        self.usbmuxd.attach(phone)
        if phone.profile.reenumerates:
            # Booting phones drop off the bus and come back under a new DeviceID.
            loop = asyncio.get_running_loop()
            loop.call_soon(self.usbmuxd.detach, phone)
            timer = loop.call_later(0.2, self.usbmuxd.attach, phone)
            self._timers.add(timer)
