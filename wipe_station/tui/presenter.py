"""How a phone's state reads on screen: formatting only, no decisions."""

from __future__ import annotations

import time

from rich.markup import escape
from rich.text import Text

from wipe_station.orchestrator.engine import PhoneView

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


def row(view: PhoneView, now: float | None = None) -> tuple[str | Text, ...]:
    facts = view.facts
    ident = ""
    if facts is not None:
        ident = facts.imeis[0] if facts.imeis else facts.serial
    blockers = ",".join(
        SHORT_BLOCKERS.get(b.code.value, b.code.value) for b in view.blockers if b.blocking
    )
    # Narrow cells keep the table usable at 80 columns; the detail pane shows everything.
    return (
        view.key[-6:],
        "iOS" if view.platform.value == "ios" else "And",
        (facts.model if facts else "…")[:10],
        # Yellow: no return list announced this phone (the detail pane says what to do).
        Text(ident[:15], style="yellow underline") if view.announced is False else ident[:15],
        blockers[:6] or "-",
        _fit(STATE_LABELS.get(view.state, view.state), STATE_WIDTH),
        (view.certificate[-6:] if view.certificate else view.progress)[:10],
        elapsed(view, now),
    )


def detail(view: PhoneView) -> str:
    lines = []
    f = view.facts
    if f is not None:
        lines.append(f"[b]{f.manufacturer} {f.model}[/b]  ({f.model_code})")
        lines.append(f"Serial {f.serial}   {view.platform.value} {f.os_version}")
        if f.imeis:
            lines.append("IMEI " + ", ".join(f.imeis))
        if f.encrypted is False:
            lines.append("[yellow]Storage not encrypted: erasure is NIST Clear only[/]")
    else:
        lines.append(f"[b]{view.key}[/b]")
    lines.append(f"State: {STATE_LABELS.get(view.state, view.state)}")
    if view.certificate:
        lines.append(f"Certificate: [b]{view.certificate}[/b]")
    if view.announced is False:
        lines.append("[yellow]Not on any return list: assign it to a customer (o)[/]")
    for b in view.blockers:
        colour = "red" if b.blocking else "yellow"
        lines.append(f"[{colour}]● {b.message}[/]")
        lines.append(f"  → {b.action}")
    if view.reason and view.state in ("failed", "interrupted", "blocked"):
        lines.append(f"[red]{view.reason}[/]")
    if view.state == "quarantined":
        # The reason is what a person typed: shown as text, never as markup.
        lines.append(f"[red]In quarantine: {escape(view.reason) or 'no reason shown'}[/]")
        lines.append("  → not erased until an admin releases it (u)")
    if view.evidence:
        marks = "  ".join(
            f"[green]✓[/] {escape(c)}" if ok else f"[red]✗[/] {escape(c)}"
            for c, ok in view.evidence[-12:]
        )
        lines.append(f"[b]Evidence[/b]  {marks}")
    lines.append("")
    lines.append("[b]Job log[/b]")
    lines.extend(f"  {m}" for m in view.log[-8:])
    return "\n".join(lines)
