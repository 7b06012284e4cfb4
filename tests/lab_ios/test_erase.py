"""Both erase exchanges as pymobiledevice3 speaks them, and what the phone is afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymobiledevice3.exceptions import (
    ConnectionTerminatedError,
    InvalidHostIDError,
    MissingValueError,
    ProfileError,
)
from pymobiledevice3.services.mobile_config import MobileConfigService
from pymobiledevice3.services.mobilebackup2 import Mobilebackup2Service

from drivers.emulated.ios import IosLab
from tests.lab_ios.helpers import listener, lockdown, next_event, wait_attached, wait_returned


async def _erase_via_backup2(lab: IosLab, udid: str, records: Path) -> None:
    client = await lockdown(lab, udid, records)
    try:
        async with Mobilebackup2Service(client) as backup:
            await backup.erase_device(records)
    finally:
        await client.close()


async def test_mobilebackup2_erase_detaches_and_returns_fresh(
    lab: IosLab, records_dir: Path
) -> None:
    phone = lab.attach("iphone-13-clean")
    mux = await listener(lab)
    try:
        first = await next_event(mux)
        await _erase_via_backup2(lab, phone.udid, records_dir)
        assert (await next_event(mux)) == {"MessageType": "Detached", "DeviceID": first["DeviceID"]}
        back = await next_event(mux)
        assert back["MessageType"] == "Attached"
        assert back["DeviceID"] != first["DeviceID"]
    finally:
        await mux.close()
    names = [(r.channel, r.request) for r in phone.requests if r.channel != "lockdown"]
    assert names == [
        ("com.apple.mobilebackup2", "DLMessageVersionExchange"),
        ("com.apple.mobilebackup2", "DLMessageProcessMessage/Hello"),
        ("com.apple.mobilebackup2", "DLMessageProcessMessage/EraseDevice"),
    ]
    # The old pairing is gone: the stored record no longer opens a session.
    unpaired = await lockdown(lab, phone.udid, records_dir, autopair=False)
    try:
        assert not unpaired.paired
        assert phone.requests[-1].request == "StartSession"
    finally:
        await unpaired.close()
    # A fresh phone sits in Setup Assistant: it pairs without a dialog and is unactivated.
    fresh = await lockdown(lab, phone.udid, records_dir, pair_timeout=0)
    try:
        assert fresh.all_values["ActivationState"] == "Unactivated"
        assert fresh.all_values["DeviceName"] == "iPhone"
        with pytest.raises(MissingValueError):  # a fresh phone has no SetupDone at all
            await fresh.get_value("com.apple.purplebuddy", "SetupDone")
        assert await fresh.get_value("com.apple.fmip", "IsAssociated") is False
        nvram = fresh.all_values["NonVolatileRAM"]
        assert nvram["fm-activation-locked"] == b"NO"
        assert nvram["obliteration"].startswith(b"handle_message: Obliteration Complete")
    finally:
        await fresh.close()


async def test_mcinstall_erase_on_supervised_phone(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-12-supervised")
    client = await lockdown(lab, phone.udid, records_dir)
    try:
        async with MobileConfigService(client) as mc:
            assert (await mc.get_cloud_configuration() or {}).get("IsSupervised") is True
            await mc.erase_device(preserve_data_plan=False, disallow_proximity_setup=True)
    finally:
        await client.close()
    await wait_returned(lab, phone.udid)
    assert phone.erase_count == 1
    assert phone.state.activation_state == "Unactivated"
    assert ("com.apple.mobile.MCInstall", "EraseDevice") in [
        (r.channel, r.request) for r in phone.requests
    ]


async def test_mcinstall_refuses_erase_on_unsupervised_phone(
    lab: IosLab, records_dir: Path
) -> None:
    phone = lab.attach("iphone-13-clean")
    client = await lockdown(lab, phone.udid, records_dir)
    try:
        async with MobileConfigService(client) as mc:
            with pytest.raises(ProfileError):
                await mc.erase_device(preserve_data_plan=False, disallow_proximity_setup=True)
    finally:
        await client.close()
    assert lab.is_attached(phone.udid)
    assert phone.erase_count == 0


async def test_mdm_profile_list(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-xr-mdm")
    client = await lockdown(lab, phone.udid, records_dir)
    try:
        async with MobileConfigService(client) as mc:
            config = await mc.get_cloud_configuration() or {}
            profiles = await mc.get_profile_list()
    finally:
        await client.close()
    assert config["OrganizationName"] == "Nordlys Kommune"
    assert config["IsMDMUnremovable"] is True
    assert any(m.get("IsMDMProfile") for m in profiles["ProfileMetadata"].values())


async def test_find_my_phone_returns_activation_locked(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-14-findmy")
    await _erase_via_backup2(lab, phone.udid, records_dir)
    await wait_returned(lab, phone.udid)
    client = await lockdown(lab, phone.udid, records_dir, pair_timeout=0)
    try:
        assert client.all_values["ActivationState"] == "Unactivated"
        # NVRAM keeps the lock across the erase; IsAssociated reads false at Setup Assistant.
        assert client.all_values["NonVolatileRAM"]["fm-activation-locked"] == b"YES"
        assert await client.get_value("com.apple.fmip", "IsAssociated") is False
    finally:
        await client.close()


async def test_fault_unplugged_mid_erase(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-unplugged-mid-erase")
    with pytest.raises(ConnectionTerminatedError):
        await _erase_via_backup2(lab, phone.udid, records_dir)
    await wait_attached(lab, phone.udid, attached=False)
    lab.replug(phone.udid)
    client = await lockdown(lab, phone.udid, records_dir, pair_timeout=0)
    try:  # the erase never started: same phone, same pairing, same data
        assert client.paired
        assert client.all_values["ActivationState"] == "Activated"
    finally:
        await client.close()


async def test_fault_never_returns(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-never-returns")
    mux = await listener(lab)
    try:
        await next_event(mux)
        await _erase_via_backup2(lab, phone.udid, records_dir)
        assert (await next_event(mux))["MessageType"] == "Detached"
    finally:
        await mux.close()
    assert lab.usbmuxd.device_id_of(phone) is None
    assert lab._timers == set()  # nothing scheduled to bring it back


async def test_fault_lies_about_erase(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-lies")
    await _erase_via_backup2(lab, phone.udid, records_dir)
    await wait_returned(lab, phone.udid)
    client = await lockdown(lab, phone.udid, records_dir, autopair=False)
    try:  # the old pair record still opens a session: nothing was wiped
        assert client.paired
        assert client.all_values["ActivationState"] == "Activated"
        assert await client.get_value("com.apple.purplebuddy", "SetupDone") is True
    finally:
        await client.close()


async def test_old_pair_record_gets_invalid_host_id_after_erase(
    lab: IosLab, records_dir: Path
) -> None:
    phone = lab.attach("iphone-13-clean")
    client = await lockdown(lab, phone.udid, records_dir)
    old = client.pair_record
    await client.close()
    assert old is not None
    await _erase_via_backup2(lab, phone.udid, records_dir)
    await wait_returned(lab, phone.udid)
    fresh = await lockdown(lab, phone.udid, records_dir, autopair=False)
    try:
        with pytest.raises(InvalidHostIDError):
            await fresh._request("ValidatePair", {"PairRecord": old})
        with pytest.raises(InvalidHostIDError):
            await fresh._request(
                "StartSession", {"HostID": old["HostID"], "SystemBUID": old["SystemBUID"]}
            )
    finally:
        await fresh.close()
