"""The station's pair records: one plist per UDID in a directory the caller owns, mode 0600.

A pair record holds the host's private key; it is never logged and never leaves this directory.
The same directory holds the station's host identity (`IDENTITY_FILE`: root and host keys and
certificates), made once and shared by every phone's pair record.
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import re
from pathlib import Path
from typing import Any

_UDID = re.compile(r"^[0-9A-Fa-f-]{24,40}$")
IDENTITY_FILE = "HostIdentity.plist"


class PairRecordStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, udid: str) -> Path:
        if not _UDID.match(udid):
            raise ValueError(f"not a UDID: {udid!r}")
        return self.directory / f"{udid}.plist"

    def load(self, udid: str) -> dict[str, Any] | None:
        try:
            data = self.path(udid).read_bytes()
        except FileNotFoundError:
            return None
        record = plistlib.loads(data)
        return record if isinstance(record, dict) else None

    def save(self, udid: str, record: dict[str, Any]) -> None:
        self._write(self.path(udid), record)

    def load_identity(self) -> dict[str, Any] | None:
        try:
            record = plistlib.loads((self.directory / IDENTITY_FILE).read_bytes())
        except (FileNotFoundError, plistlib.InvalidFileException):
            return None
        return record if isinstance(record, dict) else None

    def save_identity(self, identity: dict[str, Any]) -> None:
        self._write(self.directory / IDENTITY_FILE, identity)

    def _write(self, target: Path, record: dict[str, Any]) -> None:
        self._write_bytes(target, plistlib.dumps(record))

    def _write_bytes(self, target: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fchmod(fd, 0o600)  # O_CREAT's mode is masked by umask; make it exact
        finally:
            os.close(fd)
        os.replace(tmp, target)

    def host_pem(self, certificate: bytes, private_key: bytes) -> Path:
        """A PEM file of the host certificate and key a TLS session presents, in this directory
        (written once per identity, mode 0600): the key already lives here in every pair record,
        where pymobiledevice3 would write it to a new file in the system's temporary directory
        for every session."""
        pem = bytes(certificate) + b"\n" + bytes(private_key)
        target = self.directory / f"host-{hashlib.sha256(pem).hexdigest()[:16]}.pem"
        # Named by its content and written whole (`_write_bytes` replaces atomically): a file
        # of that name holds exactly this.
        if not target.exists():
            self._write_bytes(target, pem)
        return target

    def delete(self, udid: str) -> None:
        self.path(udid).unlink(missing_ok=True)
