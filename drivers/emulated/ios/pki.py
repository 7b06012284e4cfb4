"""The emulated device's own key pair and the TLS server side of lockdown sessions.

A real iPhone keeps an RSA key pair; the host learns its public half as DevicePublicKey (PKCS#1
PEM), signs a DeviceCertificate for it during pairing, and from then on the device is the TLS
server using that certificate, while the host presents its HostCertificate.
"""

from __future__ import annotations

import os
import ssl
import tempfile
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class PairRecordRejected(Exception):
    """The host's pair record does not fit this device."""


class DeviceKey:
    """Generated lazily: RSA key generation is the costliest thing a lab phone does."""

    def __init__(self) -> None:
        self._key: rsa.RSAPrivateKey | None = None

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._key

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        )

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


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
