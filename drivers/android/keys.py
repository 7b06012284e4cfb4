"""The station's ADB key: what phones remember under "Always allow from this computer"."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from adb_shell.auth.keygen import keygen
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

KEY_NAME = "adbkey"


class RecordingSigner:
    """Notes whether the phone asked for the public key, i.e. refused our signature: after a
    factory reset it must, because the reset forgets every authorised computer.

    Signs with `cryptography` (OpenSSL), as adb-shell's signers do with `rsa`/pycryptodome:
    adb-shell's pure-Python `PythonRSASigner` took most of the station's CPU per Android phone
    (profiled with py-spy, 64 phones)."""

    def __init__(self, pub: str, priv: str) -> None:
        self.pub_key = pub
        self._key = _private_key(priv)
        self.public_key_sent = False

    def Sign(self, data: bytes) -> bytes:
        # adbd verifies the 20-byte token as a SHA-1 digest signed with PKCS#1 v1.5.
        return self._key.sign(data, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1()))

    def GetPublicKey(self) -> str:
        self.public_key_sent = True
        return self.pub_key


@functools.lru_cache(maxsize=8)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    # Parsed once per key, not once per phone (each driver holds its own signer).
    key = serialization.load_pem_private_key(pem.encode(), None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the station's ADB key is not an RSA key")
    return key


def load_or_create(key_dir: Path) -> RecordingSigner:
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = key_dir / KEY_NAME
    if not private.exists():
        old = os.umask(0o077)
        try:
            keygen(str(private))
        finally:
            os.umask(old)
    os.chmod(private, 0o600)
    return RecordingSigner((key_dir / f"{KEY_NAME}.pub").read_text(), private.read_text())
