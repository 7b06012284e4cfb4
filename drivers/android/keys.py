"""The station's ADB key: what phones remember under "Always allow from this computer"."""

from __future__ import annotations

import os
from pathlib import Path

from adb_shell.auth.keygen import keygen
from adb_shell.auth.sign_pythonrsa import PythonRSASigner

KEY_NAME = "adbkey"


class RecordingSigner(PythonRSASigner):  # type: ignore[misc]
    """Notes whether the phone asked for the public key, i.e. refused our signature: after a
    factory reset it must, because the reset forgets every authorised computer."""

    def __init__(self, pub: str, priv: str) -> None:
        super().__init__(pub, priv)
        self.public_key_sent = False

    def GetPublicKey(self) -> str:
        self.public_key_sent = True
        return str(super().GetPublicKey())


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
