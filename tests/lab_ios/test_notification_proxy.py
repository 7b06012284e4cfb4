"""The notification proxies as pymobiledevice3 speaks them: the insecure one on an unpaired
connection (usbmuxd's preflight.c), the secure one in a session, and the Trust tap's relay."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from pymobiledevice3.exceptions import (
    ConnectionTerminatedError,
    InvalidServiceError,
    PairingDialogResponsePendingError,
    UserDeniedPairingError,
)
from pymobiledevice3.lockdown import UsbmuxLockdownClient
from pymobiledevice3.service_connection import ServiceConnection
from pymobiledevice3.services.notification_proxy import NotificationProxyService

from drivers.emulated.ios import EmulatedIphone, IosLab, load_profile
from tests.lab_ios.helpers import lockdown

INSECURE = "com.apple.mobile.insecure_notification_proxy"
SECURE = "com.apple.mobile.notification_proxy"
REQUEST_PAIR = "com.apple.mobile.lockdown.request_pair"


async def _insecure_proxy(client: UsbmuxLockdownClient) -> ServiceConnection:
    """Start the insecure proxy the way usbmuxd does: no session, no pairing, no TLS."""
    answer = await client._request("StartService", {"Service": INSECURE})
    assert answer["EnableServiceSSL"] is False
    proxy = await client.create_service_connection(answer["Port"])
    await proxy.send_plist({"Command": "ObserveNotification", "Name": REQUEST_PAIR})
    return proxy


async def _observed(phone: EmulatedIphone, channel: str = INSECURE) -> None:
    """Until the lab has read the ObserveNotification (client and lab share one loop)."""
    wanted = (channel, f"ObserveNotification/{REQUEST_PAIR}")
    for _ in range(500):
        if wanted in [(r.channel, r.request) for r in phone.requests]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the lab never read ObserveNotification")


async def _next(proxy: ServiceConnection, within: float = 5.0) -> dict[str, Any]:
    return await asyncio.wait_for(proxy.recv_plist(), within)


async def test_insecure_proxy_relays_the_technicians_trust_tap(
    lab: IosLab, records_dir: Path
) -> None:
    phone = lab.attach("iphone-13-trust-pending")
    client = await lockdown(lab, phone.udid, records_dir, autopair=False)
    proxy = await _insecure_proxy(client)
    try:
        assert not client.paired and client.session_id is None
        with pytest.raises(PairingDialogResponsePendingError):
            await client.pair(timeout=0)
        await _observed(phone)
        lab.tap_trust(phone.udid)
        assert await _next(proxy) == {"Command": "RelayNotification", "Name": REQUEST_PAIR}
        await client.pair(timeout=0)  # asked again at once: let in
        assert client.paired
    finally:
        await proxy.close()
        await client.close()
    assert (INSECURE, f"ObserveNotification/{REQUEST_PAIR}") in [
        (r.channel, r.request) for r in phone.requests
    ]
    assert [(n.name, n.relayed_to) for n in phone.notifications] == [(REQUEST_PAIR, 1)]


async def test_profile_tap_is_relayed_when_pair_starts_answering(
    mux_path: str, records_dir: Path
) -> None:
    async with IosLab(mux_path, time_scale=0.25) as slow_lab:  # trust_delay_s 2 -> 0.5 s
        phone = slow_lab.attach("iphone-13-clean")
        client = await lockdown(slow_lab, phone.udid, records_dir, autopair=False)
        proxy = await _insecure_proxy(client)
        try:
            with pytest.raises(PairingDialogResponsePendingError):
                await client.pair(timeout=0)  # the dialog comes up: the tap is 0.5 s away
            assert phone.notifications == []
            assert (await _next(proxy))["Name"] == REQUEST_PAIR
            await client.pair(timeout=0)
            assert client.paired
        finally:
            await proxy.close()
            await client.close()
        shown = next(r.at for r in phone.requests if r.request == "Pair")
        [relay] = phone.notifications
        assert (relay.at - shown).total_seconds() >= 0.45


async def test_dont_trust_relays_nothing(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-trust-pending")
    client = await lockdown(lab, phone.udid, records_dir, autopair=False)
    proxy = await _insecure_proxy(client)
    try:
        with pytest.raises(PairingDialogResponsePendingError):
            await client.pair(timeout=0)
        await _observed(phone)
        lab.tap_dont_trust(phone.udid)
        with pytest.raises(TimeoutError):
            await _next(proxy, within=0.3)
        with pytest.raises(UserDeniedPairingError):
            await client.pair(timeout=0)
    finally:
        await proxy.close()
        await client.close()
    assert phone.notifications == []


async def test_phone_may_refuse_the_insecure_proxy(lab: IosLab, records_dir: Path) -> None:
    profile = dataclasses.replace(
        load_profile("iphone-13-trust-pending"), insecure_notification_proxy=False
    )
    phone = lab.attach(profile)
    client = await lockdown(lab, phone.udid, records_dir, autopair=False)
    try:
        with pytest.raises(InvalidServiceError):
            await client._request("StartService", {"Service": INSECURE})
    finally:
        await client.close()


async def test_secure_proxy_needs_a_session_and_shuts_down_on_request(
    lab: IosLab, records_dir: Path
) -> None:
    phone = lab.attach("iphone-13-clean")
    unpaired = await lockdown(lab, phone.udid, records_dir, autopair=False)
    try:
        with pytest.raises(InvalidServiceError):
            await unpaired._request("StartService", {"Service": SECURE})
    finally:
        await unpaired.close()
    client = await lockdown(lab, phone.udid, records_dir)
    try:
        async with NotificationProxyService(client) as secure:
            await secure.notify_register_dispatch(REQUEST_PAIR)
            await _observed(phone, SECURE)
            assert phone.post_notification(REQUEST_PAIR) == 1
            events = secure.receive_notification()
            event = await asyncio.wait_for(anext(events), 5)
            assert (event.command, event.name) == ("RelayNotification", REQUEST_PAIR)
            await secure.service.send_plist({"Command": "Shutdown"})
            event = await asyncio.wait_for(anext(events), 5)
            assert event.command == "ProxyDeath"
    finally:
        await client.close()
    got = [r.request for r in phone.requests if r.channel == SECURE]
    assert got == [f"ObserveNotification/{REQUEST_PAIR}", "Shutdown"]


async def test_pulling_the_cable_closes_the_proxy(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-trust-pending")
    client = await lockdown(lab, phone.udid, records_dir, autopair=False)
    proxy = await _insecure_proxy(client)
    try:
        await _observed(phone)
        assert phone.observers == 1
        lab.detach(phone.udid)
        assert phone.observers == 0
        with pytest.raises(ConnectionTerminatedError):
            await _next(proxy)
    finally:
        await proxy.close()
        await client.close()
