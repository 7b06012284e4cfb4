"""How a phone's state reads on screen: formatting only, no decisions."""

from __future__ import annotations

import time

from rich.text import Text
from textual.content import Content

from wipe_station.orchestrator.engine import PhoneView
from wipe_station.safe_text import visible

COLUMNS = ("Port", "OS", "Model", "Serial/IMEI", "Block", "State", "Progress", "Time")
SHORT_BLOCKERS = {
    "frp_account": "FRP",
    "activation_lock": "FindMy",
    "mdm": "MDM",
    "sim_present": "SIM",
    "battery_low": "BATT",
    "passcode_locked": "LOCK",
    "not_trusted": "TRUST",
    "debugging_off": "DEBUG",
    "not_encrypted": "CLEAR",
}
STATE_LABELS = {
    "detected": "found",
    "ready": "READY",
    "blocked": "BLOCKED",
    "wiping": "erasing",
    "rebooting": "restarting",
    "verifying": "verifying",
    "verified": "verified",
    "certified": "CERTIFIED",
    "failed": "FAILED",
    "interrupted": "INTERRUPTED",
    "waiting": "needs you",
    "quarantined": "QUARANTINE",
}
STATE_WIDTH = 10


# Replaceable in tests (snapshots need a fixed clock); the event loop keeps the real one.
clock = time.monotonic


def elapsed(view: PhoneView, now: float | None = None) -> str:
    seconds = int((now if now is not None else clock()) - view.started)
    return f"{seconds // 60:d}:{seconds % 60:02d}"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def shown(value: object, limit: int | None = None, style: str = "") -> Text:
    """A table cell from a phone, a file or a person: never markup (a DataTable reads a plain
    ``str`` cell as markup), control and bidi characters visible. Rich Text, not Content: the
    table takes Rich renderables. Static widgets get Content (the theme's colours)."""
    return Text(visible(value, limit), style=style, end="")


def row(view: PhoneView, now: float | None = None) -> tuple[Text, ...]:
    facts = view.facts
    ident = ""
    if facts is not None:
        ident = facts.imeis[0] if facts.imeis else facts.serial
    blockers = ",".join(
        SHORT_BLOCKERS.get(b.code.value, b.code.value) for b in view.blockers if b.blocking
    )
    # Narrow cells keep the table usable at 80 columns; the detail pane shows everything.
    # Cut before escaping, then cut the shown text again: an escape is wider than its character.
    return (
        shown(view.key[-6:]),
        shown("iOS" if view.platform.value == "ios" else "And"),
        shown(visible(facts.model[:10] if facts else "…")[:10]),
        # Yellow: no return list announced this phone (the detail pane says what to do).
        shown(
            visible(ident[:15])[:15], style="yellow underline" if view.announced is False else ""
        ),
        shown(blockers[:6] or "-"),
        shown(_fit(STATE_LABELS.get(view.state, view.state), STATE_WIDTH)),
        shown((view.certificate[-6:] if view.certificate else view.progress)[:10]),
        shown(elapsed(view, now)),
    )


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
    line(f"State: {v(STATE_LABELS.get(view.state, view.state))}")
    if view.certificate:
        line("Certificate: ", (v(view.certificate), "bold"))
    if view.announced is False:
        line(("Not on any return list: assign it to a customer (o)", "yellow"))
    for b in view.blockers:
        line((f"● {v(b.message)}", "red" if b.blocking else "yellow"))
        line(f"  → {v(b.action)}")
    if view.reason and view.state in ("failed", "interrupted", "blocked"):
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
