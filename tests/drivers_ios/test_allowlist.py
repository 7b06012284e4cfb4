"""Everything the phones received from the driver is on the allow-list; the rest is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.emulated.ios import IosLab, available_profiles
from drivers.ios import allowlist
from drivers.ios.allowlist import RequestNotAllowed
from tests.drivers_ios.flow import Run, full_run, make_driver


def _permitted(
    channel: str, request: str, domain: str | None, key: str | None, service: str | None
) -> bool:
    if channel == "lockdown":
        return allowlist.lockdown_allowed(request, domain, key, service)
    return allowlist.service_message_allowed(channel, request)


async def test_every_request_across_all_profiles_is_allow_listed(
    lab: IosLab, key_dir: Path
) -> None:
    phones = [lab.attach(name) for name in available_profiles()]
    for phone in phones:
        await full_run(lab, phone.udid, key_dir, erase_anyway=True, return_s=0.3)
    seen = [(r.channel, r.request, r.domain, r.key, r.service) for p in phones for r in p.requests]
    assert len(seen) > 200
    refused = sorted({s for s in seen if not _permitted(*s)}, key=str)
    assert refused == []
    # The erase paths really ran: both services show up in the recording. So did the wait for
    # the Trust tap (the pending profile), through the insecure notification proxy.
    channels = {s[0] for s in seen}
    assert {"com.apple.mobilebackup2", "com.apple.mobile.MCInstall"} <= channels
    assert allowlist.INSECURE_NOTIFICATION_PROXY in channels


async def test_driver_refuses_unlisted_request_before_sending(lab: IosLab, key_dir: Path) -> None:
    phone = lab.attach("iphone-13-clean")
    driver = make_driver(lab, phone.udid, key_dir, Run())
    await driver.identify()
    client = driver._client
    assert client is not None
    before = len(phone.requests)
    with pytest.raises(RequestNotAllowed):
        await client.get_value("com.apple.mobile.iTunes")  # would expose the owner's media
    with pytest.raises(RequestNotAllowed):
        await client.set_value("x", key="DeviceName")
    with pytest.raises(RequestNotAllowed):
        await client.start_lockdown_service("com.apple.afc")  # file access: never
    assert len(phone.requests) == before
    await driver.close()


def test_allow_list_tables() -> None:
    assert allowlist.lockdown_allowed("GetValue", "com.apple.fmip", "IsAssociated")
    assert not allowlist.lockdown_allowed("GetValue", "com.apple.fmip", None)
    assert not allowlist.lockdown_allowed("EnterRecovery")
    assert allowlist.lockdown_allowed("StartService", service="com.apple.mobilebackup2")
    assert not allowlist.lockdown_allowed("StartService", service="com.apple.afc")
    assert not allowlist.service_message_allowed(
        "com.apple.mobilebackup2", "DLMessageProcessMessage/Backup"
    )
    proxy = allowlist.INSECURE_NOTIFICATION_PROXY
    assert allowlist.lockdown_allowed("StartService", service=proxy)
    assert not allowlist.lockdown_allowed(
        "StartService", service="com.apple.mobile.notification_proxy"
    )
    assert allowlist.service_message_allowed(
        proxy, "ObserveNotification/com.apple.mobile.lockdown.request_pair"
    )
    # Observing only the tap: nothing else is listened to, posted or asked on that service.
    for message in (
        "ObserveNotification/com.apple.mobile.lockdown.request_host_buid",
        "PostNotification/com.apple.mobile.lockdown.request_pair",
        "ObserveNotification",
        "Shutdown",
    ):
        assert not allowlist.service_message_allowed(proxy, message)
