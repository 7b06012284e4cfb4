"""Debian's libimobiledevice-utils against the lab: listing, pairing through usbmuxd, TLS."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from drivers.emulated.ios import IosLab


async def _run(home: Path, lab: IosLab, *args: str) -> tuple[int, str, str]:
    assert shutil.which(args[0]), f"{args[0]} is not installed (apt install libimobiledevice-utils)"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # keeps the tools away from the user's own pairing files
        "USBMUXD_SOCKET_ADDRESS": f"UNIX:{lab.socket_path}",
    }
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


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
