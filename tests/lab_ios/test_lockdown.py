"""lockdownd as pymobiledevice3's LockdownClient sees it: values, pairing, TLS sessions."""

from __future__ import annotations

import ssl
from pathlib import Path
from xml.parsers.expat import ExpatError

import pytest
from pymobiledevice3.ca import generate_pairing_cert_chain
from pymobiledevice3.exceptions import (
    ConnectionTerminatedError,
    GetProhibitedError,
    PairingDialogResponsePendingError,
    PasswordRequiredError,
    UserDeniedPairingError,
)
from pymobiledevice3.lockdown import create_using_usbmux

from drivers.emulated.ios import IosLab
from tests.lab_ios.helpers import lockdown


async def test_unpaired_host_sees_only_public_values(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-clean")
    client = await lockdown(lab, phone.udid, records_dir, autopair=False)
    try:
        assert not client.paired
        values = client.all_values
        assert values["ProductType"] == "iPhone14,5"
        assert values["UniqueDeviceID"] == phone.udid
        assert b"BEGIN RSA PUBLIC KEY" in values["DevicePublicKey"]
        for private in ("SerialNumber", "InternationalMobileEquipmentIdentity", "ActivationState"):
            assert private not in values
        with pytest.raises(GetProhibitedError):
            await client.get_value("com.apple.disk_usage")
    finally:
        await client.close()


async def test_pairing_builds_record_and_starts_tls_session(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-clean")
    client = await lockdown(lab, phone.udid, records_dir)
    try:
        assert client.paired
        assert client.session_id
        ssl_object = client.service.writer.get_extra_info("ssl_object")
        assert isinstance(ssl_object, ssl.SSLObject)
        assert client.all_values["SerialNumber"] == phone.profile.serial_number
        assert client.all_values["InternationalMobileEquipmentIdentity"] == phone.profile.imeis[0]
        assert client.all_values["InternationalMobileEquipmentIdentity2"] == phone.profile.imeis[1]
        assert client.all_values["ActivationState"] == "Activated"
        assert client.pair_record is not None
        assert client.pair_record["HostID"] in phone.pairings
        assert phone.udid in lab.usbmuxd.pair_records  # saved through usbmuxd too
        assert (records_dir / f"{phone.udid}.plist").is_file()
    finally:
        await client.close()
    # A second connection validates the stored record without asking the user again.
    again = await lockdown(lab, phone.udid, records_dir, pair_timeout=0)
    try:
        assert again.paired
        assert [r.request for r in phone.requests].count("Pair") == 1
    finally:
        await again.close()


async def test_domain_values_in_session(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-14-findmy")
    client = await lockdown(lab, phone.udid, records_dir)
    try:
        disk = await client.get_value("com.apple.disk_usage")
        assert disk["TotalDiskCapacity"] == 128_000_000_000
        assert await client.get_value("com.apple.fmip", "IsAssociated") is True
        assert await client.get_value("com.apple.purplebuddy", "SetupDone") is True
        assert await client.get_value(key="SIMStatus") == "kCTSIMSupportSIMStatusNotInserted"
        # The current lock state, not "a passcode is set" (libimobiledevice #1191).
        assert await client.get_value(key="PasswordProtected") is False
    finally:
        await client.close()


async def test_sim_and_esim_are_visible(lab: IosLab, records_dir: Path) -> None:
    for name, tray in (
        ("iphone-14-sim", "kCTSIMSupportSIMTrayInsertedWithSIM"),
        ("iphone-15-esim", "kCTSIMSupportSIMTrayInsertedNoSIM"),
    ):
        phone = lab.attach(name)
        client = await lockdown(lab, phone.udid, records_dir)
        try:
            assert client.all_values["SIMStatus"] == "kCTSIMSupportSIMStatusReady"
            assert client.all_values["SIMTrayStatus"] == tray
            assert "IntegratedCircuitCardIdentity" in client.all_values
        finally:
            await client.close()


async def test_passcode_locked_phone_refuses_pairing_until_unlocked(
    lab: IosLab, records_dir: Path
) -> None:
    phone = lab.attach("iphone-13-passcode-locked")
    with pytest.raises(PasswordRequiredError):
        await lockdown(lab, phone.udid, records_dir)
    lab.unlock(phone.udid)
    client = await lockdown(lab, phone.udid, records_dir)
    try:
        assert client.paired
    finally:
        await client.close()


async def test_trust_denied(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-trust-denied")
    with pytest.raises(UserDeniedPairingError):
        await lockdown(lab, phone.udid, records_dir)
    assert phone.pairings == {}


async def test_trust_pending_until_technician_taps_trust(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-trust-pending")
    with pytest.raises(PairingDialogResponsePendingError):
        await lockdown(lab, phone.udid, records_dir, pair_timeout=0)
    lab.tap_trust(phone.udid)
    client = await lockdown(lab, phone.udid, records_dir, pair_timeout=0)
    try:
        assert client.paired
    finally:
        await client.close()


async def test_trust_delay_reports_pending_then_pairs(mux_path: str, records_dir: Path) -> None:
    async with IosLab(mux_path, time_scale=0.05) as slow_lab:  # trust after 0.1 s
        phone = slow_lab.attach("iphone-13-clean")
        client = await lockdown(slow_lab, phone.udid, records_dir, pair_timeout=5)
        try:
            assert client.paired
            assert [r.request for r in phone.requests].count("Pair") >= 2
        finally:
            await client.close()


async def test_garbled_reply_breaks_the_client(lab: IosLab, records_dir: Path) -> None:
    phone = lab.attach("iphone-13-garbled")
    # Pairing works; the first in-session GetValue answer is a plist cut off mid-element.
    with pytest.raises(ExpatError):
        await lockdown(lab, phone.udid, records_dir)
    assert phone.pairings


async def test_session_tls_refuses_a_host_without_the_paired_certificate(
    lab: IosLab, records_dir: Path
) -> None:
    phone = lab.attach("iphone-13-clean")
    client = await lockdown(lab, phone.udid, records_dir)
    record = dict(client.pair_record or {})
    await client.close()
    # Same HostID, but a certificate chain the phone never saw: the TLS handshake must fail.
    host_cert, host_key, _, _, _ = generate_pairing_cert_chain(phone.key.public_pem())
    record.update(HostCertificate=host_cert, HostPrivateKey=host_key)
    with pytest.raises(ConnectionTerminatedError):
        await create_using_usbmux(
            phone.udid,
            autopair=False,
            pair_record=record,
            usbmux_address=lab.socket_path,
            pairing_records_cache_folder=records_dir,
        )
