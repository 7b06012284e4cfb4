"""The emulated device's own key pair and the TLS server side of lockdown sessions.

A real iPhone keeps an RSA key pair; the host learns its public half as DevicePublicKey (PKCS#1
PEM), signs a DeviceCertificate for it during pairing, and from then on the device is the TLS
server using that certificate, while the host presents its HostCertificate.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import ssl
import tempfile
import threading
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class PairRecordRejected(Exception):
    """The host's pair record does not fit this device."""


# RSA key generation is the costliest thing a lab phone does (~65 ms a key). Lab phones take
# their keys from a few slots, each made once per machine and kept in the user's cache
# directory, so a fleet of 64 costs no key generation after the first run. A phone's key after
# an erase is always another slot's (`replaced`), so its old pair records are refused as a
# real phone's are; phones further than POOL_SIZE apart in a fleet may share a key, which the
# lab never relies on (pairings are kept per phone).
POOL_SIZE = 16
_slots = itertools.count()
_pool: dict[int, tuple[rsa.RSAPrivateKey, bytes, bytes]] = {}
_pool_lock = threading.Lock()


def _cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("wipe-station")) / "lab-device-keys"


def _slot_key(slot: int) -> tuple[rsa.RSAPrivateKey, bytes, bytes]:
    with _pool_lock:
        if slot not in _pool:
            _pool[slot] = _load_or_make(_cache_dir() / f"slot-{slot:02d}.pem")
        return _pool[slot]


def _load_or_make(path: Path) -> tuple[rsa.RSAPrivateKey, bytes, bytes]:
    key: object = None
    with contextlib.suppress(OSError, ValueError, TypeError):
        # The lab wrote this file itself (0600, its own cache). OpenSSL's RSA consistency check
        # took 28 ms a key, 0.5 s of the lab's single core while 64 phones attached (issue 19).
        key = serialization.load_pem_private_key(
            path.read_bytes(), None, unsafe_skip_rsa_key_validation=True
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with contextlib.suppress(OSError):  # no cache directory: the key lives for this run
            _write_private(path, _private_pem(key))
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
    )
    return key, public, _private_pem(key)


def _private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)  # atomic: parallel labs never read half a key


class DeviceKey:
    """A lab phone's key pair, taken from its slot when first needed."""

    def __init__(self, slot: int | None = None) -> None:
        self.slot = next(_slots) % POOL_SIZE if slot is None else slot % POOL_SIZE

    def replaced(self) -> DeviceKey:
        """The key after an erase: never the one before."""
        return DeviceKey(self.slot + 1)

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        return _slot_key(self.slot)[0]

    def public_pem(self) -> bytes:
        return _slot_key(self.slot)[1]

    def private_pem(self) -> bytes:
        return _slot_key(self.slot)[2]


def check_pair_record(record: dict[str, object], key: DeviceKey) -> None:
    """Refuse a record whose DeviceCertificate is not for our key or not signed by its root."""
    try:
        with warnings.catch_warnings():
            # libimobiledevice issues serial number 0, which cryptography warns about.
            warnings.simplefilter("ignore")
            device_cert = x509.load_pem_x509_certificate(_as_bytes(record["DeviceCertificate"]))
            root_cert = x509.load_pem_x509_certificate(_as_bytes(record["RootCertificate"]))
            host_cert = x509.load_pem_x509_certificate(_as_bytes(record["HostCertificate"]))
    except (KeyError, ValueError, TypeError) as exc:
        raise PairRecordRejected("malformed pair record") from exc
    ours = key.private_key.public_key().public_numbers()
    theirs = device_cert.public_key()
    if not isinstance(theirs, rsa.RSAPublicKey) or theirs.public_numbers() != ours:
        raise PairRecordRejected("DeviceCertificate is not for this device's key")
    root_key = root_cert.public_key()
    if not isinstance(root_key, rsa.RSAPublicKey):
        raise PairRecordRejected("RootCertificate does not hold an RSA key")
    for cert in (device_cert, host_cert):
        algorithm = cert.signature_hash_algorithm
        if algorithm is None:
            raise PairRecordRejected("certificate without a hash algorithm")
        # Checked by hand: hosts still sign with SHA-1, which the X.509 helpers refuse.
        try:
            root_key.verify(
                cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm
            )
        except InvalidSignature as exc:
            raise PairRecordRejected("certificate is not signed by the RootCertificate") from exc


def server_context(record: dict[str, object], key: DeviceKey) -> ssl.SSLContext:
    """TLS server context for a session under ``record``: our DeviceCertificate, our key."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # Pairing certificates carry empty names and SHA-256 over RSA-2048; level 0 matches what the
    # host clients offer, so old and new client builds both negotiate.
    ctx.set_ciphers("ALL:!aNULL:!eNULL:@SECLEVEL=0")
    pem = _as_bytes(record["DeviceCertificate"]) + b"\n" + key.private_pem()
    fd, name = tempfile.mkstemp(prefix="lab-ios-", suffix=".pem")
    try:
        os.write(fd, pem)
        os.close(fd)
        ctx.load_cert_chain(name)
    finally:
        Path(name).unlink(missing_ok=True)
    # The host must present the HostCertificate of this pairing. Its empty subject equals its
    # (empty) issuer, so OpenSSL takes it for self-signed and cannot chain it to the root; pinning
    # the certificate itself as the trust anchor is the check that works.
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    anchors = _as_bytes(record["HostCertificate"]) + b"\n" + _as_bytes(record["RootCertificate"])
    ctx.load_verify_locations(cadata=anchors.decode())
    return ctx


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"expected PEM bytes, got {type(value).__name__}")


def refusing_context(key: DeviceKey) -> ssl.SSLContext:
    """TLS server side of a phone that no longer knows the host: it requires a client
    certificate and trusts none the host can hold, so the handshake ends in an alert."""
    now = datetime.now(UTC)
    name = x509.Name([])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key.private_key, hashes.SHA256())
    )
    record = {"DeviceCertificate": cert.public_bytes(serialization.Encoding.PEM)}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ALL:!aNULL:!eNULL:@SECLEVEL=0")
    fd, path = tempfile.mkstemp(prefix="lab-ios-", suffix=".pem")
    try:
        os.write(fd, _as_bytes(record["DeviceCertificate"]) + b"\n" + key.private_pem())
        os.close(fd)
        ctx.load_cert_chain(path)
    finally:
        Path(path).unlink(missing_ok=True)
    ctx.verify_mode = ssl.CERT_REQUIRED
    # Its only trust anchor is its own new certificate: no host's certificate chains to it.
    ctx.load_verify_locations(cadata=cert.public_bytes(serialization.Encoding.PEM).decode())
    return ctx
