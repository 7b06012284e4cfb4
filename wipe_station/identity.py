"""The station's identity: a short station id and an Ed25519 signing key, created on first use.

The private key lives in ``<home>/keys/station_ed25519.pem`` with mode 0600 and is never logged;
certificates and audit checkpoints are signed with it; anyone can check them with the public key.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wipe_station.errors import StationError
from wipe_station.paths import keys_dir

KEY_FILE = "station_ed25519.pem"
ID_FILE = "station.json"
_ID_RE = re.compile(r"^[A-Z0-9]{2,16}$")
# Crockford-style alphabet: no I, L, O, U, so an id read aloud or off paper is unambiguous.
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class StationIdentity:
    station_id: str
    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_key_pem(self) -> str:
        return public_key_pem(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def __repr__(self) -> str:  # the key must never end up in a log line by accident
        return f"StationIdentity(station_id={self.station_id!r}, name={self.name!r})"


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(pem: bytes | str, source: str = "public key") -> Ed25519PublicKey:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise StationError(f"{source} is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise StationError(f"{source} is not an Ed25519 public key")
    return key


def load_public_key_file(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StationError(f"cannot read public key file {path}: {exc.strerror}") from exc
    return load_public_key(data, source=str(path))


def _new_station_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _load_key(path: Path) -> Ed25519PrivateKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise StationError(
            f"station key {path} is readable by others (mode {mode:04o}); run: chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise StationError(f"station key {path} is damaged or not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise StationError(f"station key {path} is not an Ed25519 key")
    return key


def exists(home: Path) -> bool:
    """Whether ``home`` holds a station (its id file); looks only, creates nothing."""
    return (home / ID_FILE).exists()


def read_id_file(home: Path) -> tuple[str, str]:
    """The station id and name in ``home``'s station file, without its key; OSError if the
    file cannot be read, StationError if it is damaged."""
    id_path = home / ID_FILE
    try:
        info = json.loads(id_path.read_text())
        return str(info["station_id"]), str(info.get("name", info["station_id"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise StationError(f"station file {id_path} is damaged") from exc


def load_or_create(home: Path) -> StationIdentity:
    """Load the identity from ``home``, creating it on first use."""
    id_path = home / ID_FILE
    key_path = keys_dir(home) / KEY_FILE
    if id_path.exists():
        station_id, name = read_id_file(home)
        if not key_path.exists():
            raise StationError(
                f"station key {key_path} is missing; restore it from backup "
                "(a new key would not match what this station already signed)"
            )
        return StationIdentity(station_id, name, _load_key(key_path))

    station_id = os.environ.get("WIPE_STATION_ID", "").strip().upper() or _new_station_id()
    if not _ID_RE.match(station_id):
        raise StationError(f"station id {station_id!r} must be 2-16 letters A-Z or digits")
    if key_path.exists():
        raise StationError(f"found {key_path} but no {id_path}; restore {ID_FILE} from backup")
    key = Ed25519PrivateKey.generate()
    _write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    id_path.write_text(json.dumps({"station_id": station_id, "name": station_id}, indent=2) + "\n")
    return StationIdentity(station_id, station_id, key)
