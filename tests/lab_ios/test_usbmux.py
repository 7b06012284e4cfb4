"""The emulated usbmuxd as pymobiledevice3's usbmux client sees it."""

from __future__ import annotations

import asyncio
import plistlib
import struct

import pytest
from pymobiledevice3 import usbmux
from pymobiledevice3.exceptions import ConnectionFailedError
from pymobiledevice3.usbmux import PlistMuxConnection, create_mux

from drivers.emulated.ios import IosLab, load_profile
from tests.lab_ios.helpers import listener, next_event


async def test_list_devices_shows_attached_phone(lab: IosLab) -> None:
    phone = lab.attach("iphone-13-clean")
    devices = await usbmux.list_devices(usbmux_address=lab.socket_path)
    assert [(d.serial, d.connection_type) for d in devices] == [(phone.udid, "USB")]


async def test_listen_reports_attach_and_detach(lab: IosLab) -> None:
    mux = await listener(lab)
    try:
        phone = lab.attach("iphone-15-pro-clean")
        attached = await next_event(mux)
        assert attached["MessageType"] == "Attached"
        assert attached["Properties"]["SerialNumber"] == phone.udid  # type: ignore[index]
        lab.detach(phone.udid)
        detached = await next_event(mux)
        assert detached == {"MessageType": "Detached", "DeviceID": attached["DeviceID"]}
    finally:
        await mux.close()


async def test_listen_announces_phones_already_attached(lab: IosLab) -> None:
    phone = lab.attach("iphone-13-clean")
    mux = await listener(lab)
    try:
        event = await next_event(mux)
        assert event["MessageType"] == "Attached"
        assert event["Properties"]["SerialNumber"] == phone.udid  # type: ignore[index]
    finally:
        await mux.close()


async def test_buid_and_pair_record_store(lab: IosLab) -> None:
    phone = lab.attach("iphone-13-clean")
    mux = await create_mux(usbmux_address=lab.socket_path)
    assert isinstance(mux, PlistMuxConnection)
    try:
        assert await mux.get_buid() == lab.usbmuxd.buid
        record = {"HostID": "H", "SystemBUID": lab.usbmuxd.buid}
        await mux.save_pair_record(phone.udid, 1, plistlib.dumps(record))
        assert await mux.get_pair_record(phone.udid) == record
    finally:
        await mux.close()


async def test_delete_pair_record_with_raw_protocol(lab: IosLab) -> None:
    lab.usbmuxd.pair_records["X"] = plistlib.dumps({"HostID": "H"})
    reader, writer = await asyncio.open_unix_connection(lab.socket_path)
    try:
        body = plistlib.dumps({"MessageType": "DeletePairRecord", "PairRecordID": "X"})
        writer.write(struct.pack("<IIII", 16 + len(body), 1, 8, 7) + body)
        length, version, kind, tag = struct.unpack("<IIII", await reader.readexactly(16))
        reply = plistlib.loads(await reader.readexactly(length - 16))
        assert (version, kind, tag) == (1, 8, 7)
        assert reply == {"MessageType": "Result", "Number": 0}
        assert "X" not in lab.usbmuxd.pair_records
    finally:
        writer.close()


async def test_connect_to_closed_port_is_refused(lab: IosLab) -> None:
    lab.attach("iphone-13-clean")
    device = (await usbmux.list_devices(usbmux_address=lab.socket_path))[0]
    with pytest.raises(ConnectionFailedError):
        sock = await device.connect(1234, usbmux_address=lab.socket_path)
        sock.close()


async def test_fleet_of_64_behind_one_socket(lab: IosLab) -> None:
    fleet = lab.attach_fleet(["iphone-13-clean", "iphone-11-ios16-clean", "iphone-14-sim"], 64)
    devices = await usbmux.list_devices(usbmux_address=lab.socket_path)
    assert len({d.serial for d in devices}) == 64
    assert {d.serial for d in devices} == {p.udid for p in fleet}
    assert len({p.profile.serial_number for p in fleet}) == 64
    assert load_profile("iphone-13-clean").udid not in {p.udid for p in fleet}
