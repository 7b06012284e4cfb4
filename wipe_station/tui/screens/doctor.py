"""`d`: the bench check (wipe_station/doctor.py) on screen, one finding per line with its fix.

The checks run in a worker thread (they open sockets, run lpstat and read the database); `r`
runs them again after the technician fixed something."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from wipe_station import doctor
from wipe_station.doctor import Finding, Level
from wipe_station.safe_text import visible

STYLE = {Level.OK: "green", Level.WARNING: "yellow", Level.PROBLEM: "bold red"}


def findings_content(findings: list[Finding]) -> Content:
    """The findings as lines of Content: values from the machine are text, never markup."""
    lines = []
    for f in findings:
        lines.append(
            Content.assemble(
                (f"{f.level.value:<8}", STYLE[f.level]),
                (f"{f.check}: ", "bold"),
                visible(f.message, 300),
            )
        )
        if f.fix:
            lines.append(Content.assemble("         fix: ", (visible(f.fix, 300), "italic")))
    return Content("\n").join(lines)


def summary(findings: list[Finding]) -> str:
    """One line: what the main screen shows when the bench is not right ("" when it is)."""
    problems = sum(f.level is Level.PROBLEM for f in findings)
    warnings = sum(f.level is Level.WARNING for f in findings)
    if not problems and not warnings:
        return ""
    parts = [f"{problems} problem(s)"] if problems else []
    parts += [f"{warnings} warning(s)"] if warnings else []
    return "bench: " + ", ".join(parts) + " (d: details)"


class DoctorScreen(ModalScreen[list[Finding]]):
    CSS_PATH = Path(__file__).with_name("doctor.tcss")
    BINDINGS = [
        Binding("r", "again", "Check again"),
        Binding("escape,q,d", "close", "Close"),
    ]

    def __init__(self, bench: doctor.Bench, run: Callable[[doctor.Bench], list[Finding]]) -> None:
        super().__init__()
        self.bench = bench
        self._run = run
        self.findings: list[Finding] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="doctor", classes="dialog"):
            yield Static(Content.styled("Bench check", "bold"), id="doctor-title")
            yield Static("Checking…", id="doctor-findings")
            yield Static("", id="doctor-summary")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.action_again()

    def action_again(self) -> None:
        self.query_one("#doctor-findings", Static).update("Checking…")
        self._check()

    @work(thread=True, exclusive=True, group="doctor")
    def _check(self) -> None:
        found = self._run(self.bench)
        self.app.call_from_thread(self._show, found)

    def _show(self, found: list[Finding]) -> None:
        self.findings = found
        self.query_one("#doctor-findings", Static).update(findings_content(found))
        line = summary(found) or "everything is ready"
        self.query_one("#doctor-summary", Static).update(Content(line.replace(" (d: details)", "")))

    def action_close(self) -> None:
        self.dismiss(self.findings)
