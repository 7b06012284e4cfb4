"""Looking for what must not be there: owner canaries and station secrets in everything the
station writes (database + WAL, logs, audit bundles, certificate PDFs, CLI output), and requests
a lab phone received that the driver allow-lists do not hold."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from drivers.android import allowlist as android_allowlist
from drivers.emulated.android import owner as android_owner
from drivers.emulated.ios import RecordedRequest
from drivers.emulated.ios import owner as ios_owner
from drivers.ios import allowlist as ios_allowlist

_WHITESPACE = b" \t\r\n\f\v"
_ESCAPED_WHITESPACE = re.compile(rb"\\+[nrt]")

# How a needle is compared with an artefact:
EXACT = "exact"  # the raw bytes, as they are
SQUEEZED = "squeezed"  # whitespace removed on both sides (PEM, plist and PDF line wrapping)
FOLDED = "folded"  # whitespace removed and lower-cased on both sides (text, hex)
NUMBER = "number"  # digits standing on their own: not inside a longer run of digits


@dataclass(frozen=True)
class Needle:
    label: str
    value: bytes  # already normalised for ``mode``
    mode: str


@dataclass(frozen=True)
class Leak:
    needle: str
    artefact: str


def _squeeze(data: bytes) -> bytes:
    """Without whitespace, also where JSON or repr() escaped it, once or more (a PEM key or a
    plist inside a string, inside a JSON payload, inside a JSON bundle line)."""
    return _ESCAPED_WHITESPACE.sub(b"", data).translate(None, _WHITESPACE)


def text_needles(label: str, values: Iterable[str]) -> list[Needle]:
    """Owner data and other text: found whatever its case and wherever a line was wrapped."""
    return [
        Needle(f"{label} {value!r}", _squeeze(value.encode()).lower(), FOLDED) for value in values
    ]


def number_needle(label: str, digits: str) -> Needle:
    """A PIN: an 8-digit run turns up by chance inside the many longer digit runs a station
    writes (timestamps, IMEIs, ECIDs), so only a number of its own counts as the PIN."""
    assert digits.isdigit()
    return Needle(label, digits.encode(), NUMBER)


def secret_needles(label: str, secret: bytes) -> list[Needle]:
    """A secret as raw bytes, as hex, as Python prints bytes, and as base64 (standard and
    URL-safe) at each of the three alignments it can have inside a longer base64 text (only the
    stable middle is searched)."""
    needles = [
        Needle(f"{label} (raw bytes)", secret, EXACT),
        Needle(f"{label} (hex)", secret.hex().encode(), FOLDED),
        Needle(f"{label} (Python repr)", repr(secret)[2:-1].encode(), EXACT),
    ]
    for pad in range(3):
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            core = encode(b"\0" * pad + secret).rstrip(b"=")[4:-4]
            needles.append(Needle(f"{label} ({name}, offset {pad})", core, SQUEEZED))
    return needles


def pem_needles(label: str, pem: bytes) -> list[Needle]:
    """A PEM-encoded private key: its DER as a secret, each body line, the PEM text itself."""
    lines = [ln.strip() for ln in pem.strip().splitlines()]
    body = [ln for ln in lines if ln and not ln.startswith(b"-----")]
    der = base64.b64decode(b"".join(body))
    needles = secret_needles(f"{label} DER", der)
    needles += [
        Needle(f"{label} PEM line {i + 1}", line, SQUEEZED)
        for i, line in enumerate(body)
        if len(line) >= 16
    ]
    needles += secret_needles(f"{label} PEM text", pem)
    return needles


class Artefacts:
    """Named byte strings to search, each prepared once for every comparison mode."""

    def __init__(self) -> None:
        self._views: dict[str, dict[str, bytes]] = {}

    def add(self, name: str, data: bytes | str) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        squeezed = _squeeze(raw)
        self._views[name] = {EXACT: raw, SQUEEZED: squeezed, FOLDED: squeezed.lower()}

    def names(self) -> list[str]:
        return list(self._views)

    def size(self, name: str) -> int:
        return len(self._views[name][EXACT])

    def leaks(self, needles: Sequence[Needle]) -> list[Leak]:
        assert needles, "nothing to look for"
        return [
            Leak(needle.label, name)
            for name, views in self._views.items()
            for needle in needles
            if _found(needle, views)
        ]


def _found(needle: Needle, views: dict[str, bytes]) -> bool:
    if needle.mode == NUMBER:
        pattern = rb"(?<![0-9])" + re.escape(needle.value) + rb"(?![0-9])"
        return re.search(pattern, views[EXACT]) is not None
    return needle.value in views[needle.mode]


# What the lab phones' owners left on them (drivers/emulated/*/owner.py).
OWNER_CANARIES = text_needles("Android owner data", android_owner.CANARIES) + text_needles(
    "iPhone owner data", ios_owner.CANARIES
)


def sqlite_files(db_path: Path) -> dict[str, bytes]:
    """The database file and whatever journal files lie next to it (WAL, shared memory)."""
    found = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = db_path.with_name(db_path.name + suffix)
        if path.exists():
            found[path.name] = path.read_bytes()
    return found


def pdf_views(name: str, pdf: bytes) -> Iterator[tuple[str, bytes | str]]:
    """A PDF as stored, its extracted text, decoded page content, metadata and attachments."""
    yield name, pdf
    reader = PdfReader(io.BytesIO(pdf))
    yield f"{name} text", "\n".join(page.extract_text() for page in reader.pages)
    for i, page in enumerate(reader.pages, start=1):
        yield f"{name} page {i} content", page.get_contents().get_data()  # type: ignore[union-attr]
    yield f"{name} metadata", repr(dict(reader.metadata or {}))
    for file_name, contents in reader.attachments.items():
        for j, data in enumerate(contents):
            yield f"{name} attachment {file_name}#{j}", data


# -- the allow-lists ----------------------------------------------------------------------------
def android_refused(received: Iterable[str]) -> list[str]:
    """ADB services a phone was asked to open that the Android allow-list does not hold."""
    return [service for service in received if not android_allowlist.is_allowed(service)]


def ios_refused(requests: Iterable[RecordedRequest]) -> list[RecordedRequest]:
    """Requests an iPhone received that the iOS allow-list does not hold."""
    refused = []
    for r in requests:
        if r.channel == "lockdown":
            ok = ios_allowlist.lockdown_allowed(r.request, r.domain, r.key, r.service)
        else:
            ok = ios_allowlist.service_message_allowed(r.channel, r.request)
        if not ok:
            refused.append(r)
    return refused
