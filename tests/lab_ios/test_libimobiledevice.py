"""Debian's libimobiledevice-utils against the lab: listing, pairing through usbmuxd, TLS."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

import pytest
from pymobiledevice3.exceptions import PairingDialogResponsePendingError

from drivers.emulated.ios import EmulatedIphone, IosLab
from tests.lab_ios.helpers import lockdown


def _env(home: Path, lab: IosLab) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # keeps the tools away from the user's own pairing files
        "USBMUXD_SOCKET_ADDRESS": f"UNIX:{lab.socket_path}",
    }


async def _run(home: Path, lab: IosLab, *args: str) -> tuple[int, str, str]:
    assert shutil.which(args[0]), f"{args[0]} is not installed (apt install libimobiledevice-utils)"
    proc = await asyncio.create_subprocess_exec(
        *args, env=_env(home, lab), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _until_observed(phone: EmulatedIphone, channel: str) -> None:
    wanted = (channel, "ObserveNotification/com.apple.mobile.lockdown.request_pair")
    for _ in range(1000):
        if wanted in [(r.channel, r.request) for r in phone.requests]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"nothing observed request_pair on {channel}")


@pytest.fixture
def tool_home(short_dir: Path) -> Path:
    home = short_dir / "home"
    home.mkdir()
    return home


async def test_idevice_id_lists_the_lab(lab: IosLab, tool_home: Path) -> None:
    phones = lab.attach_fleet(["iphone-13-clean", "iphone-11-ios16-clean"], 2)
    code, out, _ = await _run(tool_home, lab, "idevice_id", "-l")
    assert code == 0
    assert sorted(out.split()) == sorted(p.udid for p in phones)


async def test_ideviceinfo_pairs_and_reads_over_tls(lab: IosLab, tool_home: Path) -> None:
    phone = lab.attach("iphone-15-pro-clean")
    code, out, err = await _run(
        tool_home, lab, "ideviceinfo", "-u", phone.udid, "-k", "ProductType"
    )
    assert (code, out.strip()) == (0, "iPhone16,1"), err
    # It paired through our usbmuxd's store and ran the query inside a session.
    assert phone.udid in lab.usbmuxd.pair_records
    asked = [(r.request, r.key) for r in phone.requests]
    assert ("Pair", None) in asked
    assert asked.index(("StartSession", None)) < asked.index(("GetValue", "ProductType"))
    code, out, _ = await _run(
        tool_home,
        lab,
        "ideviceinfo",
        "-u",
        phone.udid,
        "-q",
        "com.apple.disk_usage",
        "-k",
        "TotalDiskCapacity",
    )
    assert (code, out.strip()) == (0, "256000000000")
    assert [r.request for r in phone.requests].count("Pair") == 1


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ("iphone-13-trust-denied", "User denied pairing"),
        ("iphone-13-passcode-locked", "Password protected"),
        ("iphone-13-trust-pending", "Pairing dialog response pending"),
    ],
)
async def test_ideviceinfo_on_a_phone_that_will_not_pair(
    lab: IosLab, tool_home: Path, profile: str, message: str
) -> None:
    phone = lab.attach(profile)
    code, out, err = await _run(
        tool_home, lab, "ideviceinfo", "-u", phone.udid, "-k", "ProductType"
    )
    assert code != 0
    assert out == ""
    assert message in err
    assert phone.pairings == {}


async def test_idevicenotificationproxy_sees_the_trust_tap(
    lab: IosLab, tool_home: Path, records_dir: Path
) -> None:
    """The tool speaks only the secure proxy (lockdownd_client_new_with_handshake, then
    com.apple.mobile.notification_proxy), so it pairs first; then a second host's Trust tap is
    relayed to it, as a Darwin notification reaches every observer on the phone."""
    phone = lab.attach("iphone-13-trust-pending")
    lab.tap_trust(phone.udid)  # answered ahead: the tool's own pairing needs no dialog
    code, out, err = await _run(tool_home, lab, "idevicepair", "-u", phone.udid, "pair")
    assert code == 0, out + err
    # Line-buffered, so the relay can be read as it is printed instead of at exit.
    observe = ["stdbuf", "-oL", "idevicenotificationproxy", "-u", phone.udid, "observe"]
    proc = await asyncio.create_subprocess_exec(
        *observe,
        "com.apple.mobile.lockdown.request_pair",
        env=_env(tool_home, lab),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        await _until_observed(phone, "com.apple.mobile.notification_proxy")
        other = await lockdown(lab, phone.udid, records_dir, autopair=False)
        try:
            with pytest.raises(PairingDialogResponsePendingError):
                await other.pair(timeout=0)  # a second host: the dialog comes up again
        finally:
            await other.close()
        lab.tap_trust(phone.udid)
        while not seen or not seen[-1].startswith(">"):
            seen.append((await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip())
        proc.send_signal(signal.SIGINT)  # the tool's way out: it frees the proxy, then exits
        await asyncio.wait_for(proc.communicate(), timeout=20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert seen[-1] == "> com.apple.mobile.lockdown.request_pair"
    assert proc.returncode == 0
    assert [(n.name, n.relayed_to) for n in phone.notifications] == [
        ("com.apple.mobile.lockdown.request_pair", 1)
    ]
    proxy = "com.apple.mobile.notification_proxy"
    secure = [r.request for r in phone.requests if r.channel == proxy]
    # libimobiledevice 1.3's np_client_free says Shutdown before it closes.
    assert secure == ["ObserveNotification/com.apple.mobile.lockdown.request_pair", "Shutdown"]
