"""Every lockdown request, value and service message the iOS driver may send. Nothing else.

The driver checks each lockdown request against this list before it goes on the wire (see
``pairing.GuardedLockdown``) and each service message before calling the client method that sends
it. The lab records what phones receive, and a test holds the recording against these tables.
"""

from __future__ import annotations

from drivers.contract import DriverError

LOCKDOWN_REQUESTS = frozenset(
    {"QueryType", "GetValue", "Pair", "StartSession", "StopSession", "StartService", "Unpair"}
)

# (Domain, Key) pairs for GetValue; None is "not given". (None, None) is the default domain as a
# whole, which the client library reads during its own handshake.
VALUES = frozenset(
    {(None, None)}
    | {
        (None, key)
        for key in (
            "ActivationState",
            "BuildVersion",
            "DeviceName",
            "DevicePublicKey",
            "InternationalMobileEquipmentIdentity",
            "InternationalMobileEquipmentIdentity2",
            # Activation Lock (fm-activation-locked, fm-spstatus) and the phone's own erase record
            # (obliteration, oblit-begins) live only here. The reply holds every NVRAM entry, the
            # owner's masked Apple ID (fm-account-masked) among them: nvram.read_nvram keeps
            # NVRAM_KEYS and drops the rest on receipt, before anything is logged or kept.
            "NonVolatileRAM",
            "PasswordProtected",
            "ProductType",
            "ProductVersion",
            "SerialNumber",
            "SIMStatus",
            "SIMTrayStatus",
            "UniqueDeviceID",
        )
    }
    | {
        ("com.apple.disk_usage", None),
        ("com.apple.fmip", "IsAssociated"),
        ("com.apple.purplebuddy", "SetupDone"),
    }
)

# The NonVolatileRAM entries the driver keeps; everything else in that reply is dropped unread.
NVRAM_KEYS = frozenset({"fm-activation-locked", "fm-spstatus", "obliteration", "oblit-begins"})

MOBILEBACKUP2 = "com.apple.mobilebackup2"
MCINSTALL = "com.apple.mobile.MCInstall"
INSECURE_NOTIFICATION_PROXY = "com.apple.mobile.insecure_notification_proxy"
# Posted on the phone when someone taps Trust; observing it is how usbmuxd learns of the tap at
# once (libimobiledevice/usbmuxd src/preflight.c). Its sibling request_host_buid is not observed:
# answering it means SetValue UntrustedHostBUID, a write the station never makes.
REQUEST_PAIR = "com.apple.mobile.lockdown.request_pair"

# Service name -> the messages the driver (or the client library on its behalf) sends on it.
SERVICE_MESSAGES: dict[str, frozenset[str]] = {
    MOBILEBACKUP2: frozenset(
        {
            "DLMessageVersionExchange",
            "DLMessageProcessMessage/Hello",
            "DLMessageProcessMessage/EraseDevice",
            "DLMessageDisconnect",
        }
    ),
    MCINSTALL: frozenset({"GetCloudConfiguration", "GetProfileList", "EraseDevice"}),
    # Started without a session while the Trust dialog is up (no pairing, so no TLS either), only
    # to hear of the Trust tap at once instead of up to a second late. The station observes the
    # one notification, by name, and posts nothing. Closing sends nothing either: the connection
    # is just closed, as pymobiledevice3's services do (libimobiledevice would send Shutdown).
    INSECURE_NOTIFICATION_PROXY: frozenset({f"ObserveNotification/{REQUEST_PAIR}"}),
}


class RequestNotAllowed(DriverError):
    """The driver was about to send something the allow-list does not hold."""


def lockdown_allowed(
    request: str, domain: str | None = None, key: str | None = None, service: str | None = None
) -> bool:
    if request not in LOCKDOWN_REQUESTS:
        return False
    if request == "GetValue":
        return (domain or None, key or None) in VALUES
    if request == "StartService":
        return service in SERVICE_MESSAGES
    return True


def service_message_allowed(service: str, message: str) -> bool:
    return message in SERVICE_MESSAGES.get(service, frozenset())


def require_lockdown(
    request: str, domain: str | None = None, key: str | None = None, service: str | None = None
) -> None:
    if not lockdown_allowed(request, domain, key, service):
        detail = " ".join(
            f"{k}={v}" for k, v in (("Domain", domain), ("Key", key), ("Service", service)) if v
        )
        raise RequestNotAllowed(f"refused to send lockdown {request} {detail}".strip())


def require_service_message(service: str, message: str) -> None:
    if not service_message_allowed(service, message):
        raise RequestNotAllowed(f"refused to send {message} on {service}")
