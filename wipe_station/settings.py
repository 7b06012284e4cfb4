"""Station settings kept in the database (shared by every station on a depot's PostgreSQL)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from wipe_station.db.models import Setting
from wipe_station.errors import StationError
from wipe_station.safe_text import is_visible, visible

DEFAULTS: dict[str, str] = {
    "depot.organization": "Wipe Station depot",
    "depot.org_number": "",
    "depot.location": "",
    "depot.phone": "",
    "media.classification": "Confidential (may hold personal data)",
    "destination.description": "Environmental recycling (miljøretur)",
    "destination.facility": "",
    # Retention (privacy statement): personal data goes this many months after a contract ends;
    # certificates and evidence are kept this many years for accounting.
    "retention.personal_months": "6",
    "retention.accounting_years": "5",
    "ui.idle_minutes": "10",
    # Attested erasures (guided recovery: the technician confirmed the screen) are certified at
    # once ("certify") or wait for a supervisor's `certificate release` ("hold").
    "erasure.attested": "certify",
    # Certificates and manifests print times in the depot's zone (IANA name), the UTC instant
    # beside; the zone is signed with them, so the page re-renders the same anywhere.
    "depot.timezone": "Europe/Oslo",
    # CUPS printers by kind of job; empty: CUPS's default destination.
    "print.documents": "",
    "print.labels": "",
    # The label roll (width x height in mm; 62x29 is the common roll of depot label printers),
    # and whether the station prints a phone's label as soon as it is certified.
    "print.label_size": "62x29",
    "print.label_at_certification": "no",
}


@dataclass(frozen=True)
class Rule:
    """What a setting accepts, checked when it is set: ``describe`` for `settings list` and
    error messages, ``parse`` returns the value to store or raises ValueError."""

    describe: str
    parse: Callable[[str], str]


def _text(max_len: int, *, required: bool = False) -> Rule:
    def parse(value: str) -> str:
        # Printed on certificates and manifests: one line of visible characters.
        if (required and not value) or len(value) > max_len or not is_visible(value):
            raise ValueError
        return value

    need = "1" if required else "0"
    return Rule(f"text, {need}-{max_len} characters, no control characters", parse)


def _whole(low: int, high: int, unit: str) -> Rule:
    def parse(value: str) -> str:
        if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
            raise ValueError
        return str(int(value))

    return Rule(f"a whole number of {unit}, at least {low} and at most {high}", parse)


def _minutes(value: str) -> str:
    minutes = float(value)  # ValueError for text
    if not (math.isfinite(minutes) and 0 < minutes <= 24 * 60):
        raise ValueError
    return value


def _one_of(*choices: str) -> Rule:
    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError
        return value

    return Rule(" or ".join(choices), parse)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError from None
    return value


def _printer(value: str) -> str:
    # CUPS queue names: printable, no spaces, slashes, '#' or quotes (lpadmin refuses them).
    if value and not re.fullmatch(r"[A-Za-z0-9_.@+-]{1,127}", value):
        raise ValueError
    return value


def _label_size(value: str) -> str:
    parse_label_size(value)
    return value.lower().replace(" ", "")


def parse_label_size(value: str) -> tuple[float, float]:
    """ "62x29" -> (62.0, 29.0) mm; ValueError unless both sides are 15-300 mm."""
    m = re.fullmatch(r"\s*(\d{2,3}(?:\.\d)?)\s*[xX×]\s*(\d{2,3}(?:\.\d)?)\s*", value)
    if m is None:
        raise ValueError
    width, height = float(m.group(1)), float(m.group(2))
    if not (15 <= width <= 300 and 15 <= height <= 300):
        raise ValueError
    return width, height


def _digits(value: str) -> str:
    if value and not (value.isascii() and value.isdigit() and len(value) == 9):
        raise ValueError
    return value


def _phone(value: str) -> str:
    if len(value) > 30 or not set(value) <= set("0123456789+ -()"):
        raise ValueError
    return value


# One rule per key, next to the defaults. Ranges: retention longer than 10 years of personal
# data or 30 of accounting is not a policy but a typo, and would push dates off the calendar.
RULES: dict[str, Rule] = {
    "depot.organization": _text(200, required=True),
    "depot.org_number": Rule("empty or 9 digits (organisation number)", _digits),
    "depot.location": _text(200),
    "depot.phone": Rule("empty or up to 30 of 0-9 + - ( ) and spaces", _phone),
    "media.classification": _text(200, required=True),
    "destination.description": _text(200, required=True),
    "destination.facility": _text(200),
    "retention.personal_months": _whole(1, 120, "months"),
    "retention.accounting_years": _whole(1, 30, "years"),
    "ui.idle_minutes": Rule("minutes, more than 0 and at most 1440", _minutes),
    "erasure.attested": _one_of("certify", "hold"),
    "depot.timezone": Rule("an IANA time zone, e.g. Europe/Oslo", _zone),
    "print.documents": Rule("empty (CUPS default) or a CUPS printer name", _printer),
    "print.labels": Rule("empty (CUPS default) or a CUPS printer name", _printer),
    "print.label_size": Rule("WIDTHxHEIGHT in mm, each 15-300, e.g. 62x29", _label_size),
    "print.label_at_certification": _one_of("no", "yes"),
}


# What each key means, for `settings list`, `settings get` and `settings set --help`: a key with
# no meaning here fails the CLI tests, so a new setting cannot arrive undocumented.
MEANINGS: dict[str, str] = {
    "depot.organization": "The depot's organisation, printed on certificates and manifests.",
    "depot.org_number": "The depot's organisation number, printed on manifests.",
    "depot.location": "The depot's address or place, printed on certificates and manifests.",
    "depot.phone": "The depot's phone number, printed on certificates.",
    "media.classification": "How sensitive the erased phones' contents were, on certificates.",
    "destination.description": "Where erased phones go next, printed on certificates.",
    "destination.facility": "The recycler's facility, printed on certificates if set.",
    "retention.personal_months": "Months after a customer's contract ends before `retention run` "
    "anonymises employee names, phone numbers and free text.",
    "retention.accounting_years": "Years certificates and evidence of phones that left the depot "
    "are kept before `retention run` purges them (accounting).",
    "ui.idle_minutes": "Minutes without a key press before the station UI signs the operator out "
    "(erasures go on).",
    "erasure.attested": "Guided-recovery erasures (the technician confirmed the screen): certify "
    "at once, or hold them for an admin's `certificate release`.",
    "depot.timezone": "The zone certificates and manifests print times in (the UTC instant is "
    "printed beside).",
    "print.documents": "The CUPS printer for certificates, manifests and reports (A4); empty: "
    "CUPS's default printer.",
    "print.labels": "The CUPS printer for phone labels; empty: CUPS's default printer.",
    "print.label_size": "The label roll's size in mm, width x height (62x29 by default).",
    "print.label_at_certification": "yes: the station UI prints a phone's label as soon as it "
    "is certified.",
}


def allowed(key: str) -> str:
    """What ``key`` accepts, in words."""
    rule = RULES.get(key)
    return (rule or _text(500)).describe


def validate(key: str, value: str) -> str:
    """The value to store for ``key``, or a one-line StationError naming what it accepts."""
    if key not in DEFAULTS:
        raise StationError(
            f"unknown setting {visible(key, 60)!r}; see `wipe-station settings list`"
        )
    rule = RULES.get(key)
    value = value.strip()
    if rule is None:
        return _text(500).parse(value)
    try:
        return rule.parse(value)
    except ValueError:
        raise StationError(f"{key} must be {rule.describe}") from None


def get(session: Session, key: str) -> str:
    row = session.get(Setting, key)
    if row is not None:
        return row.value
    return DEFAULTS.get(key, "")


def put(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key) or Setting(key=key, value=value)
    row.value = value
    session.add(row)


def label_size_mm(session: Session) -> tuple[float, float]:
    """The label roll's size; a stored value that no longer parses falls back to the default."""
    try:
        return parse_label_size(get(session, "print.label_size"))
    except ValueError:
        return parse_label_size(DEFAULTS["print.label_size"])


def idle_sign_out_seconds(session: Session) -> float:
    """How long the station UI waits without a key press or mouse event before it signs the
    operator out. A value that is not a positive number of minutes falls back to the default."""
    default = float(DEFAULTS["ui.idle_minutes"])
    try:
        minutes = float(get(session, "ui.idle_minutes"))
    except ValueError:
        minutes = default
    if not math.isfinite(minutes) or minutes <= 0:
        minutes = default
    return minutes * 60.0
