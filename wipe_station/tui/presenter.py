"""How a phone's state reads on screen: formatting only, no decisions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text
from textual.content import Content

from wipe_station.orchestrator.engine import PhoneView
from wipe_station.safe_text import visible

COLUMNS = ("Port", "OS", "Model", "Serial/IMEI", "State", "Progress", "Time")
SHORT_BLOCKERS = {
    "frp_account": "OWNER",  # Google FRP or a maker's own lock: an owner's account
    "activation_lock": "FindMy",
    "mdm": "MDM",
    "sim_present": "SIM",
    "battery_low": "BATT",
    "passcode_locked": "LOCK",
    "not_trusted": "TRUST",
    "debugging_off": "DEBUG",
    "not_encrypted": "CLEAR",
}


@dataclass(frozen=True)
class StateLook:
    """How a state reads: a symbol and a word carry the meaning (monochrome terminals,
    colour-blind technicians); the colour only repeats it."""

    symbol: str
    word: str
    style: str


STATES = {
    "detected": StateLook("…", "found", "dim"),
    "ready": StateLook("○", "READY", "bold cyan"),
    "blocked": StateLook("⊘", "BLOCKED", "bold yellow"),
    "confirm": StateLook("?", "CONFIRM (v)", "bold black on yellow"),
    # An interrupted phone the station cannot judge: the technician decides (e: erase again).
    "decide": StateLook("?", "DECIDE (e)", "bold black on yellow"),
    "waiting": StateLook("?", "needs you", "bold yellow"),
    "wiping": StateLook("»", "erasing", "blue"),
    "rebooting": StateLook("»", "restarting", "blue"),
    "verifying": StateLook("»", "verifying", "blue"),
    "verified": StateLook("✓", "verified", "green"),
    "certified": StateLook("✓", "CERTIFIED", "bold green"),
    "failed": StateLook("✗", "FAILED", "bold red"),
    "interrupted": StateLook("!", "INTERRUPTED", "bold magenta"),
    "quarantined": StateLook("■", "QUARANTINE", "bold magenta"),
    "in_batch": StateLook("▣", "in batch", "green"),
    "handed_over": StateLook("→", "handed over", "dim"),
}
# Kept for callers that only want the word.
STATE_LABELS = {state: look.word for state, look in STATES.items()}
# The order of the summary bar: what needs a person first.
SUMMARY_ORDER = (
    "confirm",
    "decide",
    "waiting",
    "blocked",
    "failed",
    "interrupted",
    "quarantined",
    "ready",
    "detected",
    "wiping",
    "rebooting",
    "verifying",
    "verified",
    "certified",
    "in_batch",
    "handed_over",
)


def look(state: str) -> StateLook:
    return STATES.get(state, StateLook("·", state, ""))


def state_text(state: str) -> Text:
    s = look(state)
    return Text(f"{s.symbol} {visible(s.word, 20)}", style=s.style, end="")


# Replaceable in tests (snapshots need a fixed clock); the event loop keeps the real one.
clock = time.monotonic


def elapsed(view: PhoneView, now: float | None = None) -> str:
    """How long the phone has been in its current stage: m:ss, or h:mm:ss after an hour."""
    seconds = max(0, int((now if now is not None else clock()) - view.stage_since))
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours:d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{rest // 60:d}:{rest % 60:02d}"


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` with "…" when it is longer (escapes shown, then cut)."""
    shown_text = visible(text)
    if len(shown_text) <= width:
        return shown_text
    return shown_text[: max(0, width - 1)] + "…"


def shown(value: object, limit: int | None = None, style: str = "") -> Text:
    """A table cell from a phone, a file or a person: never markup (a DataTable reads a plain
    ``str`` cell as markup), control and bidi characters visible. Rich Text, not Content: the
    table takes Rich renderables. Static widgets get Content (the theme's colours)."""
    return Text(visible(value, limit), style=style, end="")


# Column widths. The serial/IMEI and the state are always whole; the port, the model and the
# progress share what is left (minimum, maximum, share); on a narrow terminal the columns in
# DROP_ORDER go, one by one, until the rest fit. A certificate number (20 characters) fits in
# Progress from 80 columns up.
FIXED = {"OS": 3, "State": 13, "Time": 6}
IDENT_WIDTH = 16  # an IMEI is 15 digits; most serial numbers are 8-16 characters
IDENT_MAX = 32
FLEX = {"Port": (5, 10, 1), "Model": (6, 32, 3), "Progress": (20, 60, 4)}
DROP_ORDER = ("OS", "Time", "Port")  # OS: the model says it; Port: the detail pane says it
CELL_PADDING = 2  # a DataTable pads each cell by one on either side
SCROLLBAR = 2


def column_widths(total: int, ident: int = IDENT_WIDTH) -> dict[str, int]:
    """Widths of the columns a table ``total`` columns wide shows (a dropped column is not in
    the result). ``ident``: the longest serial/IMEI on screen, shown whole (up to IDENT_MAX)."""
    fixed = dict(FIXED) | {"Serial/IMEI": max(IDENT_WIDTH, min(ident, IDENT_MAX))}
    shown_cols = list(COLUMNS)

    def minimum(cols: list[str]) -> int:
        low = sum(fixed[c] if c in fixed else FLEX[c][0] for c in cols)
        return low + CELL_PADDING * len(cols) + SCROLLBAR

    for drop in DROP_ORDER:
        if minimum(shown_cols) <= total:
            break
        shown_cols.remove(drop)
    widths = {c: fixed[c] if c in fixed else FLEX[c][0] for c in shown_cols}
    spare = total - minimum(shown_cols)
    growing = [name for name in FLEX if name in shown_cols]
    while spare > 0 and growing:
        shares = sum(FLEX[n][2] for n in growing)
        step = max(1, spare // shares)
        for name in list(growing):
            add = min(step * FLEX[name][2], FLEX[name][1] - widths[name], spare)
            widths[name] += add
            spare -= add
            if widths[name] >= FLEX[name][1]:
                growing.remove(name)
            if spare <= 0:
                break
    return {name: widths[name] for name in COLUMNS if name in widths}


DEFAULT_WIDTHS = column_widths(80)


def ident(view: PhoneView) -> str:
    facts = view.facts
    if facts is None:
        return ""
    return facts.imeis[0] if facts.imeis else facts.serial


def progress(view: PhoneView) -> str:
    """The certificate number in full once certified; the blockers' short names first."""
    if view.certificate:
        return view.certificate
    blockers = ",".join(
        SHORT_BLOCKERS.get(b.code.value, b.code.value) for b in view.blockers if b.blocking
    )
    return f"{blockers}: {view.progress}" if blockers else view.progress


def row(
    view: PhoneView, widths: dict[str, int] | None = None, now: float | None = None
) -> tuple[Text, ...]:
    """The cells of the columns in ``widths``, in their order."""
    w = widths or DEFAULT_WIDTHS
    facts = view.facts
    cells = {
        "Port": lambda: shown(fit(port(view)[-w["Port"] :], w["Port"])),
        "OS": lambda: shown("iOS" if view.platform.value == "ios" else "And"),
        "Model": lambda: shown(fit(facts.model if facts else "…", w["Model"])),
        # Whole, never cut. Underlined: no return list announced this phone (the detail pane
        # says what to do).
        "Serial/IMEI": lambda: shown(
            visible(ident(view)), style="yellow underline" if view.announced is False else ""
        ),
        "State": lambda: state_text(view.state),
        "Progress": lambda: shown(fit(progress(view), w["Progress"])),
        "Time": lambda: shown(elapsed(view, now)),
    }
    return tuple(cells[name]() for name in w)


def port(view: PhoneView) -> str:
    """Where the phone is plugged in: the USB port path (an iPhone's from usbmuxd's LocationID,
    once known); "" for an iPhone whose port is not known."""
    if view.platform.value == "ios":
        return view.port or ""
    return view.key


def ident_width(views: list[PhoneView]) -> int:
    """The width the Serial/IMEI column needs for every phone's whole serial or IMEI."""
    return max((len(visible(ident(v))) for v in views), default=IDENT_WIDTH)


def local_time(ts: datetime, zone: str) -> str:
    """A record's time (stored in UTC) as the depot's wall clock, with the zone's abbreviation
    (what the printed certificate shows). A naive time is UTC; an unknown zone reads as UTC."""
    try:
        tz: tzinfo = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def summary(views: list[PhoneView]) -> Content:
    """ "64 phones · 8 ✓ CERTIFIED · 4 ⊘ BLOCKED …", what needs a person first."""
    counts: dict[str, int] = {}
    for v in views:
        counts[v.state] = counts.get(v.state, 0) + 1
    order = [s for s in SUMMARY_ORDER if s in counts] + sorted(
        s for s in counts if s not in SUMMARY_ORDER
    )
    parts: list[str | tuple[str, str]] = [f"{len(views)} phone{'s' if len(views) != 1 else ''}"]
    for state in order:
        s = look(state)
        parts += ["  ·  ", (f"{counts[state]} {s.symbol} {visible(s.word, 20)}", s.style)]
    return Content.assemble(*parts)


def matches(view: PhoneView, needle: str) -> bool:
    """The search: any of port, model, serial, IMEIs, certificate, state word, customer."""
    facts = view.facts
    hay = [
        view.key,
        look(view.state).word,
        view.certificate or "",
        view.progress,
        view.customer or "",
    ]
    if facts is not None:
        hay += [facts.manufacturer, facts.model, facts.serial, *facts.imeis]
    needle = needle.casefold()
    return any(needle in h.casefold() for h in hay)


def identifies(view: PhoneView, scanned: str) -> bool:
    """A scanned serial or IMEI names this phone (exactly, ignoring case and spaces)."""
    facts = view.facts
    if facts is None:
        return False
    code = "".join(scanned.split()).casefold()
    return code in {facts.serial.casefold(), *(i.casefold() for i in facts.imeis)}


def sort_key(view: PhoneView, column: str) -> tuple[object, ...]:
    facts = view.facts
    values: dict[str, object] = {
        "Port": port(view),
        "OS": view.platform.value,
        "Model": (facts.model if facts else "").casefold(),
        "Serial/IMEI": ident(view),
        "State": SUMMARY_ORDER.index(view.state) if view.state in SUMMARY_ORDER else 99,
        "Progress": progress(view).casefold(),
        "Time": -view.stage_since,  # longest in its stage first... when reversed, newest
    }
    return (values[column], view.key)


# Long enough for any real value; a 10 kB model name is cut rather than filling the pane.
DETAIL_LIMIT = 200


def detail(view: PhoneView) -> Content:
    """The detail pane, built as Content: every value from the phone, the records or a person
    is added as data, so ``[/b]`` or ``[@click=app.quit]`` in a model is only characters."""
    lines: list[Content] = []

    def line(*parts: str | tuple[str, str]) -> None:
        lines.append(Content.assemble(*parts))

    def v(value: object) -> str:
        return visible(value, DETAIL_LIMIT)

    f = view.facts
    if f is not None:
        line((f"{v(f.manufacturer)} {v(f.model)}", "bold"), f"  ({v(f.model_code)})")
        line(f"Serial {v(f.serial)}   {view.platform.value} {v(f.os_version)}")
        if f.imeis:
            line("IMEI " + ", ".join(v(i) for i in f.imeis))
        if f.encrypted is False:
            line(("Storage not encrypted: erasure is NIST Clear only", "yellow"))
    else:
        line((v(view.key), "bold"))
    state = look(view.state)
    line("State: ", (f"{state.symbol} {v(state.word)}", state.style))
    if view.certificate:
        line("Certificate: ", (v(view.certificate), "bold"))
    if view.announced is False:
        line(("Not on any return list: assign it to a customer (o)", "yellow"))
    for b in view.blockers:
        line((f"● {v(b.message)}", "red" if b.blocking else "yellow"))
        line(f"  → {v(b.action)}")
    blocking = "; ".join(b.message for b in view.blockers if b.blocking)
    shown_blockers = {b.message for b in view.blockers} | {blocking}
    # A blocked phone's reason is usually its blocker's message: said once, not twice.
    if (
        view.reason
        and view.state in ("failed", "interrupted", "blocked")
        and view.reason not in shown_blockers
    ):
        line((v(view.reason), "red"))
    if view.state == "quarantined":
        # The reason is what a person typed: shown as text, never as markup.
        line((f"In quarantine: {v(view.reason) or 'no reason shown'}", "red"))
        line("  → not erased until an admin releases it (u)")
    if view.evidence:
        marks: list[str | tuple[str, str]] = []
        for c, ok in view.evidence[-12:]:
            marks += ["  " if marks else "", ("✓", "green") if ok else ("✗", "red"), f" {v(c)}"]
        line(("Evidence", "bold"), "  ", *marks)
    line("")
    line(("Job log", "bold"))
    lines.extend(Content(f"  {v(m)}") for m in view.log[-8:])
    return Content("\n").join(lines)
