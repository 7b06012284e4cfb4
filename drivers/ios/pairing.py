"""Getting the phone to trust the station: the Trust dialog, a locked screen, a refusal.

The station pairs under one host identity (root and host key and certificate), made once and
kept with its pair records, as libimobiledevice did when it kept them in its config directory
(`init_config_file`/`get_keys_and_certs`, libiphone's userpref.c). Each phone gets only its own
DeviceCertificate, signed by that root: one signature, not two new RSA keys per Pair attempt
(pymobiledevice3's `pair()` makes a new root key each time). As libimobiledevice's
`lockdownd_pair` does, the private keys stay on the station: the Pair request carries only
certificates, and the pair record saved here adds the keys.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pymobiledevice3.ca import (
    build_device_certificate,
    build_host_certificate,
    build_root_certificate,
    serialize_cert_pem,
    serialize_private_key_pkcs8_pem,
)
from pymobiledevice3.exceptions import (
    PairingDialogResponsePendingError,
    PairingError,
    PasswordRequiredError,
    UserDeniedPairingError,
)

from drivers.contract import Progress
from drivers.ios.errors import translated
from drivers.ios.lockdown import GuardedLockdown
from drivers.ios.progress import TAP_TRUST, UNLOCK_FIRST, say
from drivers.ios.records import PairRecordStore
from drivers.ios.trust_watch import TrustWatch

# How long a pending Pair waits before it is asked again when the phone posts nothing.
REASK_S = 1.0


@dataclass(frozen=True)
class HostIdentity:
    root_key: rsa.RSAPrivateKey
    root_cert: x509.Certificate
    record: dict[str, bytes]  # RootCertificate, RootPrivateKey, HostCertificate, HostPrivateKey

    @classmethod
    def new(cls) -> HostIdentity:
        alg = hashes.SHA256()
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        host_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root_cert = build_root_certificate(root_key, alg)
        host_cert = build_host_certificate(host_key, root_cert, root_key, alg)
        return cls(
            root_key,
            root_cert,
            {
                "RootCertificate": serialize_cert_pem(root_cert),
                "RootPrivateKey": serialize_private_key_pkcs8_pem(root_key),
                "HostCertificate": serialize_cert_pem(host_cert),
                "HostPrivateKey": serialize_private_key_pkcs8_pem(host_key),
            },
        )

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> HostIdentity | None:
        try:
            root_key = serialization.load_pem_private_key(record["RootPrivateKey"], None)
            root_cert = x509.load_pem_x509_certificate(record["RootCertificate"])
            parts = {k: bytes(record[k]) for k in _IDENTITY_KEYS}
        except (KeyError, TypeError, ValueError):
            return None  # unreadable: the caller makes a new one (old pair records keep working)
        if not isinstance(root_key, rsa.RSAPrivateKey):
            return None
        return cls(root_key, root_cert, parts)

    def device_certificate(self, device_public_key_pem: bytes) -> bytes:
        device_key = serialization.load_pem_public_key(device_public_key_pem)
        if not isinstance(device_key, rsa.RSAPublicKey):
            raise PairingError("the phone's DevicePublicKey is not an RSA key")
        cert = build_device_certificate(device_key, self.root_cert, self.root_key, hashes.SHA256())
        return serialize_cert_pem(cert)


_IDENTITY_KEYS = ("RootCertificate", "RootPrivateKey", "HostCertificate", "HostPrivateKey")
_identities: dict[Path, HostIdentity] = {}
_identity_lock = threading.Lock()


def load_host_identity(store: PairRecordStore) -> HostIdentity:
    """The station's host identity in ``store``'s directory, made (two RSA keys) the first time.
    Blocking: call it in a thread. Kept per process so each directory is read once."""
    where = store.directory.resolve()
    with _identity_lock:
        identity = _identities.get(where)
        if identity is None:
            saved = store.load_identity()
            identity = HostIdentity.from_record(saved) if saved is not None else None
            if identity is None:
                identity = HostIdentity.new()
                store.save_identity(dict(identity.record))
            _identities[where] = identity
        return identity


async def host_identity(store: PairRecordStore) -> HostIdentity:
    cached = _identities.get(store.directory.resolve())
    return cached if cached is not None else await asyncio.to_thread(load_host_identity, store)


async def pair_options(client: GuardedLockdown, identity: HostIdentity) -> dict[str, Any]:
    """The Pair request under ``identity`` for the phone behind ``client``: made once per wait
    for the Trust tap and sent again as is (one GetValue and one signature, not one a re-ask)."""
    device_public_key = await client.get_value("", "DevicePublicKey")
    if not device_public_key:
        raise PairingError("the phone did not give its DevicePublicKey")
    request = {
        "DeviceCertificate": identity.device_certificate(device_public_key),
        "HostCertificate": identity.record["HostCertificate"],
        "RootCertificate": identity.record["RootCertificate"],
        "HostID": client.host_id,
        "SystemBUID": client.system_buid,
        "WiFiMACAddress": client.wifi_mac_address,
    }
    return {
        "HostName": socket.gethostname(),
        "PairRecord": request,
        "ProtocolVersion": "2",
        "PairingOptions": {"ExtendedPairingErrors": True},
    }


async def pair(client: GuardedLockdown, identity: HostIdentity, options: dict[str, Any]) -> None:
    """Send one Pair request and save the pair record if the phone agrees (pymobiledevice3's
    `LockdownClient.pair` with the station's identity instead of new keys). Raises the phone's
    answer otherwise (PairingDialogResponsePendingError, PasswordRequiredError, ...)."""
    answer = await client._request_pair(options, timeout=0)
    record: dict[str, Any] = {**options["PairRecord"], **identity.record}
    if answer.get("EscrowBag") is not None:
        record["EscrowBag"] = answer["EscrowBag"]
    client.pair_record = record
    await client.save_pair_record()
    client.paired = True


class TrustState(StrEnum):
    PAIRED = "paired"
    LOCKED = "locked"  # the screen is locked: lockdown answers PasswordProtected
    DENIED = "denied"  # someone tapped Don't Trust
    PENDING = "pending"  # the dialog is up and nobody answered in time


async def ensure_trust(
    client: GuardedLockdown,
    progress: Progress | None,
    timeout_s: float,
    poll_s: float,
) -> tuple[TrustState, str]:
    """Pair if needed; returns the state and the phone's last answer (a lockdown error name)."""
    if client.paired:
        return TrustState.PAIRED, "session started with the station's pair record"
    deadline = time.monotonic() + timeout_s
    told: str | None = None
    # One identity for every phone (see the module's docstring): a Pair attempt costs one
    # signature, and the request is made once and sent again as is.
    identity = await host_identity(client.store)
    with translated("pairing with the phone"):
        options = await pair_options(client, identity)
    watch: TrustWatch | None = None
    watching = False
    try:
        while True:
            asked = time.monotonic()
            with translated("pairing with the phone"):
                try:
                    await pair(client, identity, options)
                    await client.validate_pairing()
                    return (
                        (TrustState.PAIRED, "paired")
                        if client.paired
                        else (TrustState.PENDING, "paired but no session")
                    )
                except UserDeniedPairingError:
                    return TrustState.DENIED, "UserDeniedPairing"
                except PasswordRequiredError:
                    state, answer, message = TrustState.LOCKED, "PasswordProtected", UNLOCK_FIRST
                except PairingDialogResponsePendingError:
                    state, answer = TrustState.PENDING, "PairingDialogResponsePending"
                    message = TAP_TRUST
            waiting = deadline - time.monotonic() >= poll_s
            if waiting and state is TrustState.PENDING and not watching:
                # The dialog is up: listen for the tap, as usbmuxd does (trust_watch.py), before
                # telling the technician, so a quick tap is not missed while the proxy opens.
                watching = True
                watch = await TrustWatch.open(client)
            if message != told:
                await say(progress, message)
                told = message
            if not waiting:
                return state, answer
            if state is TrustState.LOCKED:
                # Ask again soon: unlocking posts nothing and does not answer a pending request.
                await asyncio.sleep(poll_s)
                continue
            # Still ask once a second: Don't Trust posts nothing, and a phone without the proxy
            # is heard only by asking (pymobiledevice3's `_request_pair` waits the same second).
            pause = min(asked + REASK_S, deadline) - time.monotonic()
            if watch is None:
                await asyncio.sleep(max(pause, 0.0))
            else:
                await watch.wait(pause)
    finally:
        if watch is not None:
            await watch.close()
