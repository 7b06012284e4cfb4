"""Recycling batches at the packing table: pick a batch, scan phones into it (or add every
certified phone), see what is in it, take one out, close, hand over, print.

The scanner types a serial or IMEI and Enter; each scan is added at once or refused with the
reason, and the list of scans stays on screen so the manager sees what went into the box.
Closing and handing over ask first, naming the batch and how many phones are in it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Literal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from wipe_station import batches, printing
from wipe_station.batches import BatchPhone, BatchSummary
from wipe_station.errors import StationError
from wipe_station.printing import Printed
from wipe_station.roles import Permission
from wipe_station.safe_text import visible
from wipe_station.tui.presenter import fit, shown
from wipe_station.tui.screens.confirm import Confirm
from wipe_station.tui.screens.help import HelpScreen, keys_of
from wipe_station.tui.screens.prompt import TextPrompt
from wipe_station.tui.session import UiSession, report_print
from wipe_station.tui.tables import selected_key
from wipe_station.tui.widgets.header import StationHeader

COLUMNS = ("Batch", "State", "Phones", "Recycler")
PHONE_COLUMNS = ("Certificate", "Model", "Serial", "IMEI")
SCANS_SHOWN = 12  # the latest scans, newest on top, so the last one is always in view


class BatchesScreen(Screen[None]):
    BINDINGS = [
        # Function keys: the scan field has the focus, so letters belong to the scanner.
        Binding("f1", "help", "Help", tooltip="This list of keys"),
        Binding("f2", "new", "New", tooltip="Create a batch for a recycler"),
        Binding("f3", "close_batch", "Close", tooltip="Close the selected batch (asks first)"),
        Binding("f4", "hand_over", "Hand over", tooltip="Hand the batch over (asks first)"),
        Binding("f5", "manifest", "Manifest", tooltip="Print the batch's manifest"),
        Binding("f6", "add_all", "Add all", tooltip="Add every certified phone not in a batch"),
        Binding("f7", "remove", "Remove", tooltip="Take the selected phone out, with a reason"),
        Binding("f8", "certificates", "Certs", tooltip="Print the batch's certificates"),
        Binding("f9", "labels", "Labels", tooltip="Print a label for each phone in the batch"),
        Binding("f10", "print_again", "Retry", tooltip="Send the last failed print job again"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, session: UiSession, rows: list[BatchSummary]) -> None:
        super().__init__()
        self.session = session
        self.batches = rows
        self.phones: list[BatchPhone] = []
        self.scans: deque[Content] = deque(maxlen=SCANS_SHOWN)  # newest first
        self.failed: Printed | None = None  # the last job that did not reach its printer

    def compose(self) -> ComposeResult:
        yield StationHeader()
        yield Static(
            "Scan certified phones (serial or IMEI) into the selected batch.",
            id="banner",
            markup=False,
        )
        with Horizontal(id="batch-main"):
            with Vertical(id="batch-left"):
                yield DataTable(id="batches", cursor_type="row", zebra_stripes=True)
                yield Static("", id="batch-phones-title")
                yield DataTable(id="batch-phones", cursor_type="row", zebra_stripes=True)
            with Vertical(id="batch-side"):
                yield Static("", id="batch-selected")
                yield Input(placeholder="scan or type serial / IMEI, Enter", id="scan")
                yield Static("", id="scans")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#batches", DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        phones = self.query_one("#batch-phones", DataTable)
        for name in PHONE_COLUMNS:
            phones.add_column(name, key=name)
        self.load(self.batches)
        self.query_one("#scan", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "print_again":
            return self.failed is not None
        return True

    # -- what is shown ----------------------------------------------------------------------
    def load(self, rows: list[BatchSummary], select: str | None = None) -> None:
        """Show the batches (newest last); keep or move the cursor to ``select``."""
        current = select or self.selected()
        self.batches = rows
        table = self.query_one("#batches", DataTable)
        table.clear()
        for b in rows:
            table.add_row(
                # A recycler's name is typed text: a plain str cell would be read as markup.
                shown(b.code),
                shown(b.state.replace("_", " ")),
                shown(b.phones),
                shown(fit(b.recycler, 30)),
                key=b.code,
            )
        codes = [b.code for b in rows]
        if current in codes:
            table.move_cursor(row=codes.index(current))
        elif rows:
            open_rows = [i for i, b in enumerate(rows) if b.state == "open"]
            table.move_cursor(row=open_rows[-1] if open_rows else len(rows) - 1)
        self._show_selected()
        self._load_phones()

    def show_phones(self, code: str, phones: list[BatchPhone]) -> None:
        if code != self.selected():
            return  # the cursor moved on meanwhile
        self.phones = phones
        table = self.query_one("#batch-phones", DataTable)
        table.clear()
        for p in phones:
            table.add_row(
                shown(p.certificate),
                shown(fit(f"{p.manufacturer} {p.model}", 28)),
                shown(fit(p.serial, 20)),
                shown(fit(p.imei, 15)),
                key=p.serial,
            )
        count = len(phones)
        self.query_one("#batch-phones-title", Static).update(
            Content.assemble(
                (f"In {visible(code)}: ", "bold"), f"{count} phone{'s' if count != 1 else ''}"
            )
        )

    def selected(self) -> str | None:
        return selected_key(self.query_one("#batches", DataTable))

    def _summary(self) -> BatchSummary | None:
        code = self.selected()
        return next((b for b in self.batches if b.code == code), None)

    def _show_selected(self) -> None:
        b = self._summary()
        text = (
            Content.assemble(
                (visible(b.code), "bold"), f"  {b.state.replace('_', ' ')}, {b.phones} phones"
            )
            if b
            else Content("No batch yet: F2 creates one.")
        )
        self.query_one("#batch-selected", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "batches":
            self._show_selected()
            self._load_phones()

    def scanned(self, ident: str, message: str, *, ok: bool) -> None:
        # A refusal names the phone itself ("R58… is not certified …").
        # What the scanner typed and what the records said are text, never markup.
        line = Content.assemble(
            ("added", "green") if ok else ("refused", "red"),
            f" {visible(ident, 60)}: {visible(message, 200)}",
        )
        self.scans.appendleft(line)
        self.query_one("#scans", Static).update(Content("\n").join(self.scans))

    # -- the records, off the event loop --------------------------------------------------------
    def _actor(self) -> Any:
        return self.session.actor if self.session.allowed(Permission.MANAGE_BATCHES) else None

    @work(group="batch-phones", exclusive=True)
    async def _load_phones(self) -> None:
        code = self.selected()
        if code is None:
            return
        done, phones = await self.session.in_thread(batches.batch_phones, self.session.ctx, code)
        if done:
            self.show_phones(code, phones)

    async def reload(self, select: str | None = None) -> None:
        done, rows = await self.session.in_thread(batches.list_batches, self.session.ctx)
        if done:
            self.load(rows, select)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        ident = event.value.strip()
        event.input.value = ""
        if not ident:
            return
        code = self.selected()
        if code is None:
            self.scanned(ident, "no batch selected: create one with F2", ok=False)
            return
        if (actor := self._actor()) is not None:
            self._scan(actor, code, ident)

    @work(group="batches")
    async def _scan(self, actor: Any, code: str, ident: str) -> None:
        import asyncio

        try:
            dev = await asyncio.to_thread(batches.add_phone, self.session.ctx, actor, code, ident)
        except StationError as exc:
            self.scanned(ident, str(exc), ok=False)
        else:
            self.scanned(ident, f"{dev.manufacturer} {dev.model} {dev.serial}".strip(), ok=True)
        await self.reload(code)

    # -- actions ----------------------------------------------------------------------------------
    def action_help(self) -> None:
        notes = [
            "Scanning a serial or IMEI (or typing it) and Enter adds the phone to the selected "
            "batch; a refusal says why.",
            "Tab moves between the scan field, the batches and the phones in the batch.",
        ]
        self.app.push_screen(HelpScreen("Batches: keys", keys_of(self), notes))

    def action_new(self) -> None:
        if (actor := self._actor()) is None:
            return

        def named(recycler: str | None) -> None:
            if recycler:
                self._new(actor, recycler)

        self.app.push_screen(
            TextPrompt("New recycling batch", "Which recycler receives it?", "recycler"), named
        )

    @work(group="batches")
    async def _new(self, actor: Any, recycler: str) -> None:
        done, batch = await self.session.in_thread(
            batches.create_batch, self.session.ctx, actor, recycler
        )
        if done:
            self.session.notify(f"batch {batch.code} created for {recycler}")
            await self.reload(batch.code)

    def action_add_all(self) -> None:
        code = self.selected()
        if code is not None and (actor := self._actor()) is not None:
            self._add_all(actor, code)

    @work(group="batches")
    async def _add_all(self, actor: Any, code: str) -> None:
        done, result = await self.session.in_thread(
            batches.add_all_certified, self.session.ctx, actor, code
        )
        if not done:
            return
        added, refused = result
        for dev in added:
            self.scanned(dev.serial, f"{dev.manufacturer} {dev.model}".strip(), ok=True)
        for serial, why in refused:
            self.scanned(serial, why, ok=False)
        self.session.notify(
            f"{len(added)} certified phone{'s' if len(added) != 1 else ''} added to {code}"
            + (f"; {len(refused)} refused (see the list)" if refused else "")
        )
        await self.reload(code)

    def action_remove(self) -> None:
        code = self.selected()
        serial = selected_key(self.query_one("#batch-phones", DataTable))
        if code is None or serial is None:
            self.session.notify("select a phone in the batch first (Tab to the phones)")
            return
        if (actor := self._actor()) is None:
            return

        def given(reason: str | None) -> None:
            if reason:
                self._remove(actor, code, serial, reason)

        self.app.push_screen(
            TextPrompt(
                f"Take {serial} out of {code}",
                "It goes back to the certified phones. Why is it taken out?",
                "reason (required)",
            ),
            given,
        )

    @work(group="batches")
    async def _remove(self, actor: Any, code: str, serial: str, reason: str) -> None:
        done, _ = await self.session.in_thread(
            batches.remove_phone, self.session.ctx, actor, code, serial, reason
        )
        if done:
            self.session.notify(f"{serial} taken out of {code}")
            await self.reload(code)

    def _confirm(self, question: str, body: str, yes: str, then: Callable[[], None]) -> None:
        def answered(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(Confirm(question, body, yes), answered)

    def action_close_batch(self) -> None:
        b = self._summary()
        if b is None or (actor := self._actor()) is None:
            return
        self._confirm(
            f"Close {b.code}?",
            f"{b.phones} phone{'s' if b.phones != 1 else ''} for {b.recycler}. A closed batch "
            "takes no more phones; it can then be handed over.",
            "Close it",
            lambda: self._close(actor, b.code),
        )

    @work(group="batches")
    async def _close(self, actor: Any, code: str) -> None:
        done, _ = await self.session.in_thread(batches.close_batch, self.session.ctx, actor, code)
        if done:
            self.session.notify(f"batch {code} closed")
            await self.reload(code)

    def action_hand_over(self) -> None:
        b = self._summary()
        if b is None or (actor := self._actor()) is None:
            return

        def received(name: str | None) -> None:
            if name:
                self._confirm(
                    f"Hand over {b.code}?",
                    f"{b.phones} phone{'s' if b.phones != 1 else ''} to {b.recycler}, received "
                    f"by {name}. The batch is frozen after this; it cannot be undone.",
                    "Hand over",
                    lambda: self._hand_over(actor, b.code, name),
                )

        self.app.push_screen(
            TextPrompt(f"Hand over {b.code}", "Who at the recycler received it?", "name"),
            received,
        )

    @work(group="batches")
    async def _hand_over(self, actor: Any, code: str, name: str) -> None:
        done, _ = await self.session.in_thread(
            batches.hand_over, self.session.ctx, actor, code, name
        )
        if done:
            self.session.notify(f"batch {code} handed over; it is frozen now")
            await self.reload(code)

    # -- printing ---------------------------------------------------------------------------------
    def action_manifest(self) -> None:
        code = self.selected()
        if code is not None and (actor := self._actor()) is not None:
            ctx = self.session.ctx

            def job() -> Printed:
                path = batches.write_manifest(ctx, actor, code, printing.print_dir(ctx.home))
                return printing.print_file(ctx, path, "documents")

            self._print(job, f"manifest of {code}")

    def action_certificates(self) -> None:
        self._print_batch_documents("certificates")

    def action_labels(self) -> None:
        self._print_batch_documents("labels")

    def _print_batch_documents(self, what: Literal["certificates", "labels"]) -> None:
        """The batch's certificates (A4 printer) or its phone labels (label printer)."""
        code = self.selected()
        if code is None or not self.session.allowed(Permission.PRINT_CERTIFICATES):
            return
        ctx, actor, numbers = (
            self.session.ctx,
            self.session.actor,
            [p.certificate for p in self.phones],
        )
        write = printing.write_certificates if what == "certificates" else printing.write_labels
        kind: printing.Kind = "documents" if what == "certificates" else "labels"

        def job() -> Printed:
            path = write(ctx, actor, numbers, f"{code}-{what}")
            return printing.print_file(ctx, path, kind)

        self._print(job, f"{what} of {code}")

    def action_print_again(self) -> None:
        if self.failed is not None:
            failed, ctx = self.failed, self.session.ctx
            self._print(lambda: printing.send_again(ctx, failed), failed.path.name)

    @work(group="print")
    async def _print(self, job: Callable[[], Printed], what: str) -> None:
        done, printed = await self.session.in_thread(job)
        if not done:
            return
        report_print(self.session, printed, what)
        self.failed = None if printed.ok else printed
        self.refresh_bindings()
