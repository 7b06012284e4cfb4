"""A lab fleet for demo mode and benchmarks: emulated Android phones on a virtual USB bus and
emulated iPhones behind a lab usbmuxd, reached through the same doors as real phones."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.android import guidance
from drivers.contract import Platform, ScreenSeen
from drivers.emulated.android.lab import AndroidLab
from drivers.emulated.android.profile import load_profile
from drivers.emulated.ios.lab import IosLab
from drivers.emulated.lab_process import (
    USBMUX_SOCKET,
    AndroidSlot,
    LabPlan,
    LabProcess,
    build,
    handle_at,
    identities,
)
from drivers.emulated.usb_remote import RemoteUsbBus
from drivers.ios.discovery import list_iphones
from drivers.usb.discovery import scan
from wipe_station.orchestrator.fleet_files import FleetProfile

# Mostly clean phones, with the blocked and faulty ones a depot meets every day.
ANDROID_MIX = [
    "pixel-8-clean",
    "samsung-s23-clean",
    "moto-g54-clean",
    "pixel-7-frp",
    "pixel-7-locked",  # a PIN nobody knows: guided recovery, the technician confirms the screen
    "moto-g54-sim",
    "samsung-s23-clean",
    "samsung-s23-liar",
]
IOS_MIX = [
    "iphone-13-clean",
    "iphone-15-pro-clean",
    "iphone-11-ios16-clean",
    "iphone-14-findmy",
    "iphone-se2-ios15-clean",
    "iphone-14-sim",
    "iphone-13-clean",
    "iphone-13-lies",
]
KEY_GUIDANCE = (guidance.KEYS_DEFAULT, *guidance.KEYS_BY_MAKER.values())
CLEAN_ONLY_ANDROID = ["pixel-8-clean", "samsung-s23-clean", "moto-g54-clean"]
CLEAN_ONLY_IOS = ["iphone-13-clean", "iphone-15-pro-clean", "iphone-11-ios16-clean"]


@dataclass
class RemoteAndroid:
    """The Android half of a lab in its own process, as the station reaches it: a bus."""

    process: LabProcess

    @property
    def bus(self) -> RemoteUsbBus:
        return self.process.bus

    def phones(self) -> Iterator[Any]:
        return iter(())  # the phones live in the lab process; tests inspect in-process labs

    def attach(
        self, profile: str, *, port_path: str, serial: str | None = None, tcp_port: None = None
    ) -> str:
        """Plug a bundled phone into the lab process's bus; returns its serial."""
        return self.process.attach_android(profile, port_path, serial)


@dataclass
class DemoFleet:
    """``lab_process``: run the bundled lab in its own process (demo and benchmarks), reached
    only through usbmuxd's socket and the USB bus socket. In-process (the default) keeps the lab
    phones inspectable for tests; a fleet built from ``profiles`` always runs in-process."""

    phones: int
    zero_delay: bool = True
    clean_only: bool = False
    android: AndroidLab | RemoteAndroid | None = None
    ios: IosLab | None = None
    # Exactly these lab profiles (from `demo --fleet FILE…`) instead of the bundled mix.
    profiles: list[FleetProfile] | None = None
    lab_process: bool = False
    # Only phones of this platform (the benchmark times one phone of each kind alone); None:
    # half Android (rounded up), half iPhone.
    only: Platform | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ws-lab-")))
    _keys_pressed: set[str] = field(default_factory=set)
    _process: LabProcess | None = None

    @property
    def usbmux_address(self) -> str:
        return str(self.workdir / USBMUX_SOCKET)

    @property
    def lab_cpu_s(self) -> float | None:
        """CPU seconds the lab process used, once it has stopped (None in-process)."""
        return None if self._process is None else self._process.cpu_s

    def plan(self) -> LabPlan:
        n_android = (self.phones + 1) // 2
        if self.only is not None:
            n_android = self.phones if self.only is Platform.ANDROID else 0
        a_mix = CLEAN_ONLY_ANDROID if self.clean_only else ANDROID_MIX
        slots = []
        for i in range(n_android):
            name = a_mix[i % len(a_mix)]
            # One hub per 8 ports, as on a depot bench.
            serial = f"{load_profile(name).serial[:-3]}{i:03d}"
            slots.append(AndroidSlot(name, serial, f"1-{i // 8 + 1}.{i % 8 + 1}"))
        return LabPlan(
            android=slots,
            ios_mix=CLEAN_ONLY_IOS if self.clean_only else IOS_MIX,
            ios_count=self.phones - n_android,
            zero_delay=self.zero_delay,
        )

    async def __aenter__(self) -> DemoFleet:
        if self.profiles is not None:
            return await self._from_profiles(self.profiles)
        if self.lab_process:
            self._process = await LabProcess(self.plan(), self.workdir).start()
            self.android = RemoteAndroid(self._process)
            return self
        self.android, self.ios = await build(self.plan(), self.usbmux_address)
        return self

    async def _from_profiles(self, profiles: list[FleetProfile]) -> DemoFleet:
        self.android = AndroidLab()
        self.ios = IosLab(self.usbmux_address, time_scale=0.0 if self.zero_delay else 1.0)
        await self.ios.start()
        android = [p.profile for p in profiles if p.platform == "android"]
        for i, prof in enumerate(android):
            self.android.attach(
                prof,
                serial=None,
                tcp_port=None,
                zero_delay=self.zero_delay,
                port_path=f"1-{i // 8 + 1}.{i % 8 + 1}",
            )
        for p in profiles:
            if p.platform == "ios":
                self.ios.attach(p.profile)
        self.phones = len(profiles)
        return self

    def _screen_at(self, port_path: str) -> str | None:
        if self._process is not None:
            return self._process.screen(port_path)
        assert isinstance(self.android, AndroidLab)
        handle = handle_at(self.android, port_path)
        return None if handle is None else str(handle.screen)

    def _press_recovery_keys(self, port_path: str) -> bool:
        if self._process is not None:
            return self._process.press_recovery_keys(port_path)
        assert isinstance(self.android, AndroidLab)
        handle = handle_at(self.android, port_path)
        if handle is not None:
            handle.technician.press_recovery_keys()
        return handle is not None

    def follow_guidance(self, view: Any) -> None:
        """The demo's technician reads the station's screen: when it shows a phone's recovery
        key combination (no ADB to reboot it), they press those keys on that lab phone, once
        per erase. Real phones get the same guidance and a person's hands."""
        if view.platform is not Platform.ANDROID or view.state != "wiping":
            return
        if not any(keys in view.progress for keys in KEY_GUIDANCE):
            return
        if view.key in self._keys_pressed:
            return
        if self._press_recovery_keys(view.key):
            self._keys_pressed.add(view.key)

    def screen(self, key: str) -> ScreenSeen:
        """What a technician would see on the lab phone at ``key`` (a USB port path): the
        demo's stand-in for a person answering the guided-reset question."""
        screen = self._screen_at(key)
        return {"welcome": ScreenSeen.WELCOME, "frp": ScreenSeen.OWNER_LOCK}.get(
            screen or "", ScreenSeen.OTHER
        )

    async def __aexit__(self, *exc: object) -> None:
        if self._process is not None:
            await self._process.stop()
        if self.ios is not None:
            await self.ios.stop()
        if isinstance(self.android, AndroidLab):
            await asyncio.to_thread(self.android.close)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def identities(self) -> list[tuple[str, str | None]]:
        """(serial, IMEI) of every phone, as a customer's return list would name them."""
        if self._process is not None:
            return list(self._process.identities)
        assert isinstance(self.android, AndroidLab) and self.ios is not None
        return identities(self.android, self.ios)

    def android_ports(self) -> list[str]:
        assert self.android is not None
        return sorted(scan(self.android.bus.backend()))

    async def ios_udids(self) -> list[str]:
        return sorted(await list_iphones(self.usbmux_address))


@dataclass
class Summary:
    phones: int
    certified: int
    blocked: int
    failed: int
    seconds: float
    lab_cpu_s: float | None = None  # set when the lab ran in its own process

    def line(self) -> str:
        return (
            f"phones={self.phones} certified={self.certified} blocked={self.blocked} "
            f"failed={self.failed} seconds={self.seconds:.1f}"
        )


def summarise(states: list[str], started: float) -> Summary:
    return Summary(
        phones=len(states),
        certified=sum(s == "certified" for s in states),
        blocked=sum(s == "blocked" for s in states),
        failed=sum(s in ("failed", "interrupted") for s in states),
        seconds=time.monotonic() - started,
    )
