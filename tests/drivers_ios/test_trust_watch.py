"""The driver hears the Trust tap through the insecure notification proxy, as usbmuxd does.

These labs run with real delays (time_scale 1). Assertions rest on what the lab recorded (the
relay, the Pair requests and their order) rather than on the test's own clock; the one time
margin (Pair within 0.5 s of the relay, where the once-a-second re-ask would come 0.7 s later)
is a single wake-up on one event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from drivers.contract import DeviceGone, Outcome
from drivers.emulated.ios import EmulatedIphone, IosLab, IosProfile, RecordedRequest, load_profile
from drivers.ios import IosDriver, allowlist
from drivers.ios.allowlist import INSECURE_NOTIFICATION_PROXY, REQUEST_PAIR
from drivers.ios.pairing import TrustState
from drivers.ios.progress import TAP_TRUST

OBSERVE = f"ObserveNotification/{REQUEST_PAIR}"
TRUST_DELAY_S = 1.3


@pytest.fixture
async def real_lab(short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[IosLab]:
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", str(short_dir / "no-such-usbmuxd"))
    async with IosLab(str(short_dir / "usbmuxd"), time_scale=1.0) as running:
        yield running


def _driver(lab: IosLab, phone: EmulatedIphone, key_dir: Path, progress: list[str]) -> IosDriver:
    return IosDriver(
        phone.udid,
        key_dir,
        usbmux_address=lab.socket_path,
        progress=progress.append,
        trust_timeout_s=10,
        poll_s=0.25,
    )


def _clean(delay_s: float = TRUST_DELAY_S, *, proxy: bool = True) -> IosProfile:
    base = load_profile("iphone-13-clean")
    return dataclasses.replace(base, trust_delay_s=delay_s, insecure_notification_proxy=proxy)


def _pairs(phone: EmulatedIphone) -> list[RecordedRequest]:
    return [r for r in phone.requests if r.channel == "lockdown" and r.request == "Pair"]


def _all_allow_listed(phone: EmulatedIphone) -> bool:
    for r in phone.requests:
        if r.channel == "lockdown":
            if not allowlist.lockdown_allowed(r.request, r.domain, r.key, r.service):
                return False
        elif not allowlist.service_message_allowed(r.channel, r.request):
            return False
    return True


def _technician(
    lab: IosLab, phone: EmulatedIphone, progress: list[str], tap: Callable[[str], None]
) -> Callable[[str], None]:
    """A technician who answers the dialog 0.3 s after the station says to tap Trust."""
    loop = asyncio.get_running_loop()

    def told(message: str) -> None:
        progress.append(message)
        if message == TAP_TRUST:
            loop.call_later(0.3, tap, phone.udid)

    return told


async def _proxies_closed(phone: EmulatedIphone) -> bool:
    """The lab sees a closed proxy connection once its reader hits EOF: give it a moment."""
    for _ in range(200):
        if phone.observers == 0:
            return True
        await asyncio.sleep(0.01)
    return False


async def _observing(phone: EmulatedIphone) -> None:
    for _ in range(500):
        if phone.observers:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the driver never observed request_pair")


async def test_trust_tap_is_heard_at_once(real_lab: IosLab, key_dir: Path) -> None:
    phone = real_lab.attach(_clean())
    progress: list[str] = []
    driver = _driver(real_lab, phone, key_dir, progress)
    state, evidence = await driver.pair()
    await driver.close()
    assert state is TrustState.PAIRED and evidence.ok
    assert progress == [TAP_TRUST]
    # The phone relayed the tap to the one proxy the driver opened...
    [relay] = phone.notifications
    assert (relay.name, relay.relayed_to) == (REQUEST_PAIR, 1)
    pairs = _pairs(phone)
    assert relay.at - pairs[0].at >= timedelta(seconds=TRUST_DELAY_S - 0.05)
    # ...and the driver asked again right after it, not at the next whole second (2.0 s): ask,
    # one re-ask at 1.0 s, the answered one. The old loop asked four times and paired at 2.0 s.
    assert len(pairs) <= 3
    assert pairs[-1].at >= relay.at
    assert pairs[-1].at - relay.at < timedelta(seconds=0.5)
    assert pairs[-1].at - pairs[0].at < timedelta(seconds=TRUST_DELAY_S + 0.5)
    # The proxy was started before any session (the phone knew no pairing yet), observed only
    # request_pair, and was closed once paired.
    asked = [(r.channel, r.request, r.service) for r in phone.requests]
    start = asked.index(("lockdown", "StartService", INSECURE_NOTIFICATION_PROXY))
    assert start < asked.index(("lockdown", "StartSession", None))
    assert [r.request for r in phone.requests if r.channel == INSECURE_NOTIFICATION_PROXY] == [
        OBSERVE
    ]
    assert await _proxies_closed(phone)
    assert _all_allow_listed(phone)


async def test_technician_tap_is_heard_at_once(real_lab: IosLab, key_dir: Path) -> None:
    phone = real_lab.attach("iphone-13-trust-pending")
    progress: list[str] = []
    driver = _driver(real_lab, phone, key_dir, progress)
    driver.progress = _technician(real_lab, phone, progress, real_lab.tap_trust)
    state, _ = await driver.pair()
    await driver.close()
    assert state is TrustState.PAIRED
    [relay] = phone.notifications
    assert relay.relayed_to == 1
    pairs = _pairs(phone)
    # The first ask and the one the relay prompted (a stalled loop may fit the 1 s ask between).
    assert len(pairs) <= 3
    assert pairs[-1].at >= relay.at
    assert pairs[-1].at - relay.at < timedelta(seconds=0.5)
    assert await _proxies_closed(phone)


async def test_phone_refusing_the_proxy_still_pairs_by_asking(
    real_lab: IosLab, key_dir: Path
) -> None:
    phone = real_lab.attach(_clean(proxy=False))
    driver = _driver(real_lab, phone, key_dir, [])
    state, _ = await driver.pair()
    await driver.close()
    assert state is TrustState.PAIRED
    assert ("lockdown", "StartService") in [(r.channel, r.request) for r in phone.requests]
    assert not [r for r in phone.requests if r.channel == INSECURE_NOTIFICATION_PROXY]
    [relay] = phone.notifications
    assert relay.relayed_to == 0  # nobody listening: the driver learns by asking
    pairs = _pairs(phone)
    # Once a second: 0 s, 1 s (pending), 2 s (let in). A slow loop may skip the middle one.
    assert 2 <= len(pairs) <= 3
    assert pairs[-1].at - pairs[0].at >= timedelta(seconds=TRUST_DELAY_S - 0.05)


async def test_proxy_that_dies_leaves_the_driver_asking(real_lab: IosLab, key_dir: Path) -> None:
    phone = real_lab.attach("iphone-13-trust-pending")
    driver = _driver(real_lab, phone, key_dir, [])
    pairing = asyncio.create_task(driver.pair())
    await _observing(phone)
    phone.end_notification_proxies()
    await asyncio.sleep(0.3)
    real_lab.tap_trust(phone.udid)
    state, _ = await asyncio.wait_for(pairing, 5)
    await driver.close()
    assert state is TrustState.PAIRED
    assert [n.relayed_to for n in phone.notifications] == [0]
    # Woken once by the proxy's end (a phone pulled out is heard at once the same way), then
    # back to once a second until the tap is seen.
    assert 3 <= len(_pairs(phone)) <= 4


async def test_dont_trust_ends_denied(real_lab: IosLab, key_dir: Path) -> None:
    phone = real_lab.attach("iphone-13-trust-pending")
    progress: list[str] = []
    driver = _driver(real_lab, phone, key_dir, progress)
    driver.progress = _technician(real_lab, phone, progress, real_lab.tap_dont_trust)
    state, evidence = await driver.pair()
    await driver.close()
    assert state is TrustState.DENIED
    assert evidence.response == "UserDeniedPairing" and not evidence.ok
    assert phone.notifications == []  # Don't Trust posts nothing; the once-a-second ask found it
    assert 2 <= len(_pairs(phone)) <= 3
    assert await _proxies_closed(phone)


async def test_phone_pulled_out_while_waiting_is_interrupted(
    real_lab: IosLab, key_dir: Path
) -> None:
    phone = real_lab.attach("iphone-13-trust-pending")
    driver = _driver(real_lab, phone, key_dir, [])
    pairing = asyncio.create_task(driver.pair())
    await _observing(phone)
    real_lab.detach(phone.udid)
    with pytest.raises(DeviceGone):
        await asyncio.wait_for(pairing, 5)
    result = await driver.verify()
    await driver.close()
    assert result.outcome is Outcome.INTERRUPTED
    assert "disconnected while pairing" in result.reason
    assert phone.observers == 0


async def test_cancelled_wait_closes_the_proxy(real_lab: IosLab, key_dir: Path) -> None:
    phone = real_lab.attach("iphone-13-trust-pending")
    driver = _driver(real_lab, phone, key_dir, [])
    pairing = asyncio.create_task(driver.pair())
    await _observing(phone)
    pairing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pairing
    await driver.close()
    assert await _proxies_closed(phone)


async def test_locked_phone_opens_no_proxy(real_lab: IosLab, key_dir: Path) -> None:
    phone = real_lab.attach("iphone-13-passcode-locked")
    progress: list[str] = []
    driver = IosDriver(
        phone.udid,
        key_dir,
        usbmux_address=real_lab.socket_path,
        progress=progress.append,
        trust_timeout_s=0.6,
        poll_s=0.25,
    )
    state, evidence = await driver.pair()
    await driver.close()
    assert state is TrustState.LOCKED and evidence.response == "PasswordProtected"
    assert len(progress) == 1 and "Unlock" in progress[0]
    assert not [r for r in phone.requests if r.request == "StartService"]
    assert len(_pairs(phone)) >= 2  # asked again every poll_s until the deadline
