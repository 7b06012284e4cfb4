"""The certificate payload: every field of the NIST SP 800-88 Rev. 1 Appendix G sample certificate,
plus the mobile facts, as typed data with one canonical JSON form (RFC 8785).

Parsing is strict: a missing, extra or wrongly typed field is an error, so a payload that was
edited by hand never passes as a certificate.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import rfc8785

SCHEMA = "wipe-station/certificate-of-erasure/1"
NUMBER_RE = re.compile(r"WS-(?P<station>[A-Z0-9]{2,16})-(?P<year>\d{4})-(?P<seq>\d{6})")


# Field metadata: an optional field is omitted from the canonical JSON while it holds its default.
OPTIONAL = {"omit_default": True}


def format_number(station_id: str, year: int, sequence: int) -> str:
    return f"WS-{station_id}-{year}-{sequence:06d}"


class PayloadError(ValueError):
    """The JSON is not a well-formed certificate payload."""


@dataclass(frozen=True)
class Person:
    """NIST: person performing sanitisation (and, for validation, the validator)."""

    name: str
    title: str
    organization: str
    location: str
    phone: str = ""


@dataclass(frozen=True)
class MediaInfo:
    manufacturer: str
    model: str
    serial_number: str
    property_number: str  # the customer's asset tag, if any
    media_type: str
    source: str  # where the phone came from, e.g. "Customer return: Acme AS"
    classification: str  # confidentiality before sanitisation
    data_backed_up: str  # "Yes" / "No" / "Unknown"


@dataclass(frozen=True)
class Sanitization:
    method_type: str  # "Clear" or "Purge"
    method_used: str
    method_details: str
    tool: str
    tool_version: str
    verification_method: str
    post_classification: str
    notes: str = ""


@dataclass(frozen=True)
class Destination:
    description: str  # e.g. "Environmental recycling (miljøretur)"
    facility: str = ""


@dataclass(frozen=True)
class Validation:
    validator: str
    title: str
    organization: str
    date: str  # ISO date


@dataclass(frozen=True)
class BlockerResult:
    code: str
    message: str
    cleared: bool


@dataclass(frozen=True)
class MobileFacts:
    platform: str
    os_version: str
    imeis: tuple[str, ...] = ()
    udid: str = ""
    blockers: tuple[BlockerResult, ...] = ()
    evidence_digest: str = ""  # SHA-256 of the canonical evidence record
    # How the phone was reset and how the station knows (codes; the page prints them in words):
    reset_route: str = ""  # e.g. test_harness, guided_recovery, mobilebackup2, mcinstall
    verification_level: str = ""  # readback | attested
    attested_by: str = ""  # the technician who confirmed the screen (attested only)
    activation_lock: str = ""  # not_locked | locked | unknown; "" where the route cannot tell
    activation_lock_reason: str = ""
    reusable: bool = True  # False: erased, but locked to its owner: recycle as parts only


@dataclass(frozen=True)
class Customer:
    name: str
    org_number: str


@dataclass(frozen=True)
class AuditAnchor:
    """The audit event the certificate was issued under."""

    station: str
    seq: int
    event_hash: str


@dataclass(frozen=True)
class CertificatePayload:
    number: str
    issued_at: str  # ISO-8601 UTC
    station_id: str
    emulated: bool  # a lab phone: never a real erasure
    performed_by: Person
    media: MediaInfo
    sanitization: Sanitization
    destination: Destination
    validation: Validation
    mobile: MobileFacts
    audit: AuditAnchor
    customer: Customer | None = None
    schema: str = field(default=SCHEMA)
    # Added after the first certificates were signed: left out of the JSON while empty, so the
    # canonical bytes (and signatures) of older certificates stay what they were.
    timezone: str = field(default="", metadata=OPTIONAL)  # the depot's IANA zone for the page
    supersedes: str = field(default="", metadata=OPTIONAL)  # the certificate this one replaces

    def __post_init__(self) -> None:
        # The verifier finds the number on the page by its shape and the station by its key;
        # a number of another shape or station would make the certificate unverifiable.
        m = NUMBER_RE.fullmatch(self.number) if isinstance(self.number, str) else None
        if m is None:
            raise PayloadError(
                f"certificate number {self.number!r} is not of the form "
                "WS-<station>-<year>-<000000>"
            )
        if m["station"] != self.station_id:
            raise PayloadError(
                f"certificate number {self.number} does not belong to station {self.station_id!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return _to_jsonable(self)

    def canonical(self) -> bytes:
        return rfc8785.dumps(self.to_dict())

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    @classmethod
    def from_dict(cls, data: Any) -> CertificatePayload:
        payload = _build(cls, data, "payload")
        if payload.schema != SCHEMA:
            raise PayloadError(f"unknown certificate schema {payload.schema!r}")
        return payload

    @classmethod
    def from_json(cls, text: str | bytes) -> CertificatePayload:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PayloadError(f"payload is not JSON: {exc}") from exc
        return cls.from_dict(data)


def _to_jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: _to_jsonable(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if not (f.metadata.get("omit_default") and getattr(obj, f.name) == f.default)
        }
    if isinstance(obj, tuple | list):
        return [_to_jsonable(v) for v in obj]
    return obj


@functools.cache
def _shape(tp: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    """A payload class's field types and fields. Evaluating the type hints again for every
    field cost ~2 ms a payload, minutes over an export of five years (issue 30)."""
    return typing.get_type_hints(tp), {f.name: f for f in dataclasses.fields(tp)}


def _build(tp: Any, value: Any, path: str) -> Any:
    """Rebuild typed data from JSON, refusing anything the type does not allow."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _build(inner, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise PayloadError(f"{path} must be a list")
        (inner, _) = typing.get_args(tp)
        return tuple(_build(inner, v, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise PayloadError(f"{path} must be an object")
        hints, fields = _shape(tp)
        extra = set(value) - set(fields)
        if extra:
            raise PayloadError(f"{path} has unknown fields: {', '.join(sorted(extra))}")
        kwargs = {}
        for name, f in fields.items():
            if name not in value:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise PayloadError(f"{path}.{name} is missing")
                continue
            kwargs[name] = _build(hints[name], value[name], f"{path}.{name}")
        return tp(**kwargs)
    if tp is bool:
        if not isinstance(value, bool):
            raise PayloadError(f"{path} must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PayloadError(f"{path} must be an integer")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise PayloadError(f"{path} must be a string")
        return value
    raise PayloadError(f"{path}: unsupported type {tp!r}")
