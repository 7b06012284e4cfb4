"""The two erase routes a phone allows: mobilebackup2's DeviceLink, or MCInstall if supervised."""

from __future__ import annotations

import tempfile

from pymobiledevice3.exceptions import PasswordRequiredError
from pymobiledevice3.services.mobile_config import MobileConfigService
from pymobiledevice3.services.mobilebackup2 import Mobilebackup2Service

from drivers.contract import DriverError, EvidenceItem
from drivers.ios.allowlist import MCINSTALL, MOBILEBACKUP2, require_service_message
from drivers.ios.errors import translated
from drivers.ios.evidence import item
from drivers.ios.lockdown import GuardedLockdown


async def erase_via_mobilebackup2(client: GuardedLockdown) -> EvidenceItem:
    for message in (
        "DLMessageVersionExchange",
        "DLMessageProcessMessage/Hello",
        "DLMessageProcessMessage/EraseDevice",
        "DLMessageDisconnect",
    ):
        require_service_message(MOBILEBACKUP2, message)
    # DeviceLink wants a working directory; an erase moves no files, so a throwaway one will do.
    with (
        tempfile.TemporaryDirectory(prefix="ws-ios-erase-") as workdir,
        translated("starting the erase (mobilebackup2)"),
    ):
        async with Mobilebackup2Service(client) as backup:
            await backup.erase_device(workdir)
    return item(
        "erase",
        "erase_request",
        f"{MOBILEBACKUP2} DLMessageProcessMessage EraseDevice TargetIdentifier={client.udid}",
        "accepted: the phone closed the link to start erasing",
        True,
    )


async def erase_via_mcinstall(client: GuardedLockdown) -> EvidenceItem:
    require_service_message(MCINSTALL, "EraseDevice")
    with translated("starting the erase (MobileConfig)"):
        async with MobileConfigService(client) as mc:
            await mc.erase_device(preserve_data_plan=False, disallow_proximity_setup=True)
    return item(
        "erase",
        "erase_request",
        f"{MCINSTALL} EraseDevice PreserveDataPlan=false DisallowProximitySetup=true",
        "Acknowledged",
        True,
    )


class PasscodeNeeded(DriverError):
    """The phone refuses to start services until its passcode is entered (e.g. since a restart)."""


async def read_mcinstall(client: GuardedLockdown) -> tuple[dict[str, object], dict[str, object]]:
    """(CloudConfiguration, profile list) — the supervision and MDM facts."""
    require_service_message(MCINSTALL, "GetCloudConfiguration")
    require_service_message(MCINSTALL, "GetProfileList")
    with translated("reading supervision and MDM status"):
        try:
            async with MobileConfigService(client) as mc:
                cloud = await mc.get_cloud_configuration() or {}
                profiles = await mc.get_profile_list()
        except PasswordRequiredError as exc:
            # StartService answered PasswordProtected: paired, but locked since a restart.
            raise PasscodeNeeded("The phone must be unlocked once before it can be read") from exc
    return dict(cloud), dict(profiles)
