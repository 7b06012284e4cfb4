"""The auditor's verifier: one self-contained HTML file that checks certificates, manifests, QR
texts and audit bundles offline in a browser (docs/auditor-verifier.md).

The page's HTML, CSS and JavaScript are package files; this module only fills in the station
keys, the labels and the version, and pins the inline script and style by hash in the page's
Content-Security-Policy, so the page can run nothing else and reach nothing at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certificates.labels import L

# Order matters: the PDF reader first, then the checks that use it, then the page's wiring.
SCRIPTS = ("pdf.js", "verify.js", "ui.js")
_PLACEHOLDER = re.compile(r"\{\{(CSP|TITLE|STYLE|DATA|SCRIPT)\}\}")


class StationKeyError(ValueError):
    """A registered station key is not an Ed25519 public key in PEM form."""


@dataclass(frozen=True)
class StationKey:
    station: str
    name: str
    public_key_pem: str

    def spki(self) -> bytes:
        try:
            key = serialization.load_pem_public_key(self.public_key_pem.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise StationKeyError(f"station {self.station}'s key is not a PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise StationKeyError(f"station {self.station}'s key is not an Ed25519 key")
        return key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def fingerprint(self) -> str:
        """SHA-256 of the DER public key, as `openssl pkey -pubin -outform DER | sha256sum`
        prints it, in groups of four so it can be read aloud over the phone."""
        digest = hashlib.sha256(self.spki()).hexdigest()
        return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def _json_for_script(data: object) -> str:
    # Inside <script type="application/json"> only "</script" could end the block early.
    return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")


def build_page(keys: Sequence[StationKey], version: str, made_at: str) -> str:
    """The verifier page for ``keys`` (every station whose records it checks)."""
    if not keys:
        raise StationKeyError("no station key to embed")
    data = {
        "version": version,
        "made_at": made_at,
        "keys": [
            {
                "station": k.station,
                "name": k.name,
                "fingerprint": k.fingerprint(),
                "spki_b64": base64.b64encode(k.spki()).decode("ascii"),
            }
            for k in keys
        ],
        "labels": {key: list(pair) for key, pair in L.items()},
    }
    script = "\n".join(_asset(name) for name in SCRIPTS)
    style = _asset("verifier.css")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(script)}",
            f"style-src {_csp_hash(style)}",
            "img-src 'none'",
            "media-src mediastream:",  # the camera, where the auditor allows it; never a network
            "connect-src 'none'",
            "form-action 'none'",
            "base-uri 'none'",
        ]
    )
    fills = {
        "CSP": csp,
        "TITLE": html.escape(", ".join(k.station for k in keys)),
        "STYLE": style,
        "DATA": _json_for_script(data),
        "SCRIPT": script,
    }
    # One pass, so text filled in is never searched for placeholders again.
    return _PLACEHOLDER.sub(lambda m: fills[m.group(1)], _asset("verifier.html"))
