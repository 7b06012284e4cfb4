"""`wipe-station lab android`: one emulated phone in the foreground until Ctrl-C."""

from __future__ import annotations

import signal
import threading

from drivers.emulated.android.lab import AndroidLab


def run_foreground(
    host: str, port: int, profile: str, serial: str | None = None, model: str | None = None
) -> None:
    stop = threading.Event()
    with AndroidLab(tcp_host=host) as lab:
        try:
            phone = lab.attach(profile, serial=serial, model=model, tcp_port=port)
        except ValueError as exc:
            raise SystemExit(f"error: {exc}") from None
        except OSError as exc:
            raise SystemExit(f"error: cannot listen on {host}:{port}: {exc.strerror}") from None
        p = phone.phone
        print(f"lab android: {p.profile.manufacturer} {p.model}, serial {p.serial} ({profile})")
        if phone.tcp_port is not None:
            where = f"{host}:{phone.tcp_port}"
            print(f"  ADB over TCP: {where}   try: adb connect {where}")
        for dev in lab.bus.devices():
            ifaces = ", ".join(
                f"{i.cls:02x}/{i.subclass:02x}/{i.protocol:02x}" for i in dev.interfaces
            )
            print(
                f"  virtual USB: port {dev.port_path}  ID {dev.vendor_id:04x}:{dev.product_id:04x} "
                f"{dev.manufacturer} {dev.product}  serial {dev.serial}  interfaces {ifaces}"
            )
        print("Ctrl-C to stop.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        print(f"\nstopped; the phone received {len(p.received)} requests")
