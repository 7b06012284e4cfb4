"""A lab fleet in its own process, as real phones are apart from the station.

The station reaches it through the same doors as real phones: iPhones through the lab's usbmuxd
socket, Android phones through the virtual USB bus served on a second socket
(`usb_remote.RemoteUsbBus` behind the station's pyusb backend). So the station's CPU and memory
can be measured without the phones' own work, and the phones' TLS, RSA and adbd work no longer
shares the station's event loop.

The parent sends a `LabPlan` as one JSON line on the child's stdin and reads one JSON line back
(ready, with the phones' identities); closing stdin stops the lab, which answers with the CPU
seconds it used. A technician's hands (pressing a phone's keys, reading its screen) are control
calls on the USB socket.

    python -m drivers.emulated.lab_process WORKDIR
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.emulated.android.lab import AndroidLab, LabAndroid
from drivers.emulated.android.profile import load_profile
from drivers.emulated.ios.lab import IosLab
from drivers.emulated.usb_remote import RemoteUsbBus, UsbBusServer

USBMUX_SOCKET = "usbmuxd.sock"
USB_SOCKET = "usb.sock"
START_TIMEOUT_S = 60.0


@dataclass
class AndroidSlot:
    profile: str
    serial: str | None
    port_path: str


@dataclass
class LabPlan:
    """Which bundled lab phones to plug in where."""

    android: list[AndroidSlot] = field(default_factory=list)
    ios_mix: list[str] = field(default_factory=list)
    ios_count: int = 0
    zero_delay: bool = True

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LabPlan:
        data = json.loads(text)
        data["android"] = [AndroidSlot(**s) for s in data["android"]]
        return cls(**data)


async def build(plan: LabPlan, usbmux_path: str) -> tuple[AndroidLab, IosLab]:
    """Plug the plan's phones into a new Android lab and an iOS lab serving ``usbmux_path``."""
    android = AndroidLab()
    for slot in plan.android:
        android.attach(
            load_profile(slot.profile),
            serial=slot.serial,
            tcp_port=None,
            zero_delay=plan.zero_delay,
            port_path=slot.port_path,
        )
    ios = IosLab(usbmux_path, time_scale=0.0 if plan.zero_delay else 1.0)
    await ios.start()
    if plan.ios_count:
        ios.attach_fleet(plan.ios_mix, plan.ios_count)
    return android, ios


def identities(android: AndroidLab, ios: IosLab) -> list[tuple[str, str | None]]:
    """(serial, IMEI) of every phone, as a customer's return list would name them."""
    out: list[tuple[str, str | None]] = [(s, None) for s in android.serials]
    for phone in ios.phones.values():
        imeis = phone.profile.imeis
        out.append((phone.profile.serial_number, imeis[0] if imeis else None))
    return out


def handle_at(android: AndroidLab, port_path: str) -> LabAndroid | None:
    return next((h for h in android.phones() if h.port_path == port_path), None)


# --- the child ----------------------------------------------------------------------------------
async def _serve(workdir: Path) -> None:
    loop = asyncio.get_running_loop()
    plan = LabPlan.from_json(await loop.run_in_executor(None, sys.stdin.readline))
    android, ios = await build(plan, str(workdir / USBMUX_SOCKET))

    def screen(port_path: str) -> str | None:
        handle = handle_at(android, port_path)
        return None if handle is None else str(handle.screen)

    def press_recovery_keys(port_path: str) -> bool:
        handle = handle_at(android, port_path)
        if handle is not None:
            handle.technician.press_recovery_keys()
        return handle is not None

    def attach(profile: str, port_path: str, serial: str | None) -> str:
        """Plug one more bundled phone in (benchmarks plug phones in during a run)."""
        handle = android.attach(
            load_profile(profile),
            port_path=port_path,
            serial=serial,
            tcp_port=None,
            zero_delay=plan.zero_delay,
        )
        return handle.serial

    server = UsbBusServer(
        android.bus,
        str(workdir / USB_SOCKET),
        {"screen": screen, "press_recovery_keys": press_recovery_keys, "attach": attach},
    )
    server.start()
    _say({"ready": True, "identities": identities(android, ios)})
    await loop.run_in_executor(None, sys.stdin.read)  # until the station closes our stdin
    server.stop()
    await ios.stop()
    await asyncio.to_thread(android.close)


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    workdir = Path(sys.argv[1])
    asyncio.run(_serve(workdir))
    _say({"cpu_s": time.process_time()})


# --- the station's handle -----------------------------------------------------------------------
class LabProcess:
    """Start with ``await LabProcess(plan, workdir).start()``; ``stop()`` waits for the lab to
    finish and records the CPU seconds it used in ``cpu_s``."""

    def __init__(self, plan: LabPlan, workdir: Path) -> None:
        self.plan = plan
        self.workdir = workdir
        self.usbmux_address = str(workdir / USBMUX_SOCKET)
        self.bus = RemoteUsbBus(str(workdir / USB_SOCKET))
        self.identities: list[tuple[str, str | None]] = []
        self.cpu_s: float | None = None
        self._proc: subprocess.Popen[str] | None = None

    async def start(self) -> LabProcess:
        env = dict(os.environ)
        # The child imports `drivers` from the same place the station did.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "drivers.emulated.lab_process", str(self.workdir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(self.plan.to_json() + "\n")
        self._proc.stdin.flush()
        line = await asyncio.wait_for(
            asyncio.to_thread(self._proc.stdout.readline), START_TIMEOUT_S
        )
        if not line:
            code = await asyncio.to_thread(self._proc.wait)
            raise RuntimeError(f"the lab process ended before it was ready (exit {code})")
        ready = json.loads(line)
        self.identities = [(s, i) for s, i in ready["identities"]]
        return self

    def screen(self, port_path: str) -> str | None:
        result = self.bus.control("screen", port_path)
        return None if result is None else str(result)

    def press_recovery_keys(self, port_path: str) -> bool:
        return bool(self.bus.control("press_recovery_keys", port_path))

    def attach_android(self, profile: str, port_path: str, serial: str | None = None) -> str:
        return str(self.bus.control("attach", profile, port_path, serial))

    async def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        try:
            out = await asyncio.wait_for(asyncio.to_thread(proc.stdout.read), 30)
            await asyncio.wait_for(asyncio.to_thread(proc.wait), 10)
        except TimeoutError:
            proc.kill()
            await asyncio.to_thread(proc.wait)
            return
        for line in out.splitlines():
            with_cpu = json.loads(line) if line.startswith("{") else {}
            if "cpu_s" in with_cpu:
                self.cpu_s = float(with_cpu["cpu_s"])


if __name__ == "__main__":
    main()
