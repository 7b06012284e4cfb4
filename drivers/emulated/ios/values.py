"""The default-domain value set a real iPhone gives a paired host, modelled per phone.

Key names, value shapes and the string constants follow real `ideviceinfo` dumps (sources in
docs/lab-fidelity.md, ## iOS); numbers derived from the UDID keep a fleet distinct and stable.
Values a profile's ``captured:`` map names override these.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from drivers.emulated.ios import owner
from drivers.emulated.ios.profile import IosProfile, Sim

SIM_NOT_INSERTED = "kCTSIMSupportSIMStatusNotInserted"
SIM_READY = "kCTSIMSupportSIMStatusReady"
TRAY_ABSENT = "kCTSIMSupportSIMTrayAbsent"
TRAY_NO_SIM = "kCTSIMSupportSIMTrayInsertedNoSIM"
TRAY_WITH_SIM = "kCTSIMSupportSIMTrayInsertedWithSIM"
# The erase record real phones keep in NVRAM (iOS 12/13 dumps; newer ones write "EACS Done").
OBLIT_BEGINS = b"OblitType: ObliterateDataPartition. Reason: unknown"
OBLITERATION = b"handle_message: Obliteration Complete\n"


def sim_values(profile: IosProfile, sim: Sim) -> tuple[str, str]:
    """(SIMStatus, SIMTrayStatus). An eSIM reads Ready with no card in the tray."""
    tray_empty = TRAY_ABSENT if profile.sim_tray_absent else TRAY_NO_SIM
    if sim is Sim.PHYSICAL:
        return SIM_READY, TRAY_WITH_SIM
    if sim is Sim.ESIM:
        return SIM_READY, tray_empty
    return SIM_NOT_INSERTED, tray_empty


def _digits(seed: str, n: int) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % 10**n


def _b64(seed: str, n: int) -> bytes:
    return hashlib.sha256(seed.encode()).digest()[:n]


def static_values(profile: IosProfile) -> dict[str, Any]:
    """What does not change with the phone's state."""
    u = profile.udid
    return {
        "BasebandActivationTicketVersion": "V2",
        "BasebandCertId": _digits(u + "/bbcert", 9),
        "BasebandChipID": _digits(u + "/bbchip", 7),
        "BasebandKeyHashInformation": {"AKeyStatus": 2, "SKeyStatus": 0},
        "BasebandMasterKeyHash": hashlib.sha384(u.encode()).hexdigest().upper(),
        "BasebandRegionSKU": bytes(64),
        "BasebandSerialNumber": _b64(u + "/bbsn", 4),
        "BasebandStatus": "BBInfoAvailable",
        "BasebandVersion": "3.00.01",
        "BoardId": 10,
        "CPUArchitecture": "arm64e",
        "CertID": _digits(u + "/bbcert", 9),
        "ChipSerialNo": _b64(u + "/bbsn", 4),
        "DeviceClass": "iPhone",
        "DeviceColor": profile.device_color,
        "DieID": _digits(u + "/die", 16),
        "FirmwareVersion": "iBoot-10151.120.3",
        "FusingStatus": 3,
        "HardwareModel": profile.hardware_model,
        "HardwarePlatform": "t8110",
        "HasSiDP": True,
        "MLBSerialNumber": "F3X" + profile.serial_number + "Q1",
        "MobileEquipmentIdentifier": profile.imeis[0][:14] if profile.imeis else "",
        "ModelNumber": "MLDV3",
        "PartitionType": "GUID_partition_scheme",
        "PkHash": base64.b64encode(_b64(u + "/pk", 32)).decode(),
        "ProductName": "iPhone OS",
        "ProductType": profile.product_type,
        "ProductVersion": profile.product_version,
        "ProductionSOC": True,
        "ProtocolVersion": "2",
        "ProximitySensorCalibration": _b64(u + "/prox", 32),
        "RegionInfo": "LL/A",
        "SerialNumber": profile.serial_number,
        "SoftwareBehavior": bytes([0x41, 0x01]) + bytes(14),
        "SoftwareBundleVersion": "",
        "SupportedDeviceFamilies": [1],
        "TelephonyCapability": True,
        "TimeZone": "Europe/Oslo",
        "TimeZoneOffsetFromUTC": 3600.0,
        "UniqueDeviceID": u,
        "UseRaptorCerts": True,
        "Uses24HourClock": True,
        "WirelessBoardSerialNumber": f"{_digits(u + '/wb', 10):010d}",
        "kCTPostponementInfoPRIVersion": "0.1.192",
        "kCTPostponementInfoServiceProvisioningState": False,
        "kCTPostponementStatus": "kCTPostponementStatusActivated",
        "BuildVersion": profile.build_version,
    }


def carrier_values(profile: IosProfile) -> dict[str, Any]:
    """A subscription's values, present only while a SIM or eSIM is active."""
    iccid = "8947" + f"{_digits(profile.udid + '/iccid', 15):015d}"
    imsi = "24201" + f"{_digits(profile.udid + '/imsi', 10):010d}"
    return {
        "CarrierBundleInfoArray": [
            {
                "CFBundleIdentifier": "com.apple.Telenor_no",
                "CFBundleVersion": "55.0",
                "IntegratedCircuitCardIdentity": iccid,
                "InternationalMobileSubscriberIdentity": imsi,
                "MCC": "242",
                "MNC": "01",
                "Slot": "kOne",
            }
        ],
        "IntegratedCircuitCardIdentity": iccid,
        "InternationalMobileSubscriberIdentity": imsi,
        "InternationalMobileSubscriberIdentityOverride": False,
        "MobileSubscriberCountryCode": "242",
        "MobileSubscriberNetworkCode": "01",
        "PhoneNumber": owner.PHONE_NUMBER,
    }
