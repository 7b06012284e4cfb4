"""The recycling hand-over manifest: every phone in a batch, counts, and signature lines for the
depot and the recycler. The phone table runs over as many pages as the batch needs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from certificates.labels import L
from certificates.style import BOLD, INK, MUTED, REGULAR
from certificates.tables import (
    BODY_SIZE,
    CELL_PAD,
    FRAME_W,
    Heading,
    Title,
    both,
    build,
    cell,
    facts,
    gap,
    table,
)
from certificates.text import wrap


@dataclass(frozen=True)
class Party:
    organization: str
    org_number: str = ""  # Norwegian organisation number
    location: str = ""

    def line(self) -> str:
        org = f"{self.organization} (org.nr. {self.org_number})" if self.org_number else ""
        return ", ".join(x for x in (org or self.organization, self.location) if x)


@dataclass(frozen=True)
class ManifestPhone:
    platform: str
    manufacturer: str
    model: str
    serial_number: str
    imeis: tuple[str, ...]
    certificate_number: str
    emulated: bool = False


@dataclass(frozen=True)
class RecyclingManifest:
    batch_id: str
    depot: Party
    recycler: Party
    created_at: str  # ISO date or timestamp
    handed_over_at: str  # "" while the batch has not left the depot
    phones: tuple[ManifestPhone, ...]


def _header(nb_en: tuple[str, str]) -> str:
    return "\n".join(nb_en)


def _make_model(p: ManifestPhone, emulated: str) -> str:
    text = f"{p.manufacturer} {p.model}" + (emulated if p.emulated else "")
    return "\n".join(wrap(text, REGULAR, BODY_SIZE, _PHONE_COLS[2] - 2 * CELL_PAD, 2))


_PHONE_COLS = (26.0, 44.0, 128.0, 84.0, 90.0, FRAME_W - 372.0)


def _phone_table(phones: Iterable[ManifestPhone]) -> Table:
    emulated = " ({} / {})".format(*L["emulated_short"])
    rows = [
        [
            str(i),
            p.platform,
            _make_model(p, emulated),
            p.serial_number.replace("\n", " "),
            "\n".join(p.imeis),  # one per line: a recycler matches them digit by digit
            p.certificate_number,
        ]
        for i, p in enumerate(phones, start=1)
    ]
    header = [
        _header(L[k])
        for k in ("row_no", "platform_short", "make_model", "serial_number", "imeis", "number")
    ]
    return table(header, rows, _PHONE_COLS, right_align=(0,))


def _counts(counter: Counter[str], key: str) -> Table:
    rows = [[name, str(n)] for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
    return table([_header(L[key]), _header(L["count"])], rows, (FRAME_W - 80, 80), (1,))


def _signature_block(depot: Party, recycler: Party) -> Flowable:
    """Each party signs on a line, with what to write printed under it."""
    half = FRAME_W / 2
    rows: list[list[str]] = [
        [both("for_depot"), "", both("for_recycler")],
        [cell(depot.organization, half), "", cell(recycler.organization, half)],
    ]
    line_rows = []
    for key in ("sign_name", "handwritten", "sign_date"):
        line_rows.append(len(rows))
        rows += [["", "", ""], [both(key), "", both(key)]]
    t = Table(rows, colWidths=[half - 12, 24, half - 12])
    style: list[tuple[object, ...]] = [
        ("FONT", (0, 0), (-1, 0), BOLD, 9),
        ("FONT", (0, 1), (-1, 1), REGULAR, 8),
        ("FONT", (0, 2), (-1, -1), REGULAR, 7),
        ("TEXTCOLOR", (0, 0), (-1, 1), INK),
        ("TEXTCOLOR", (0, 2), (-1, -1), MUTED),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    for r in line_rows:
        style += [
            ("TOPPADDING", (0, r), (-1, r), 20),
            ("LINEBELOW", (0, r), (0, r), 0.6, INK),
            ("LINEBELOW", (2, r), (2, r), 0.6, INK),
        ]
    t.setStyle(TableStyle(style))
    return KeepTogether([Heading(*L["s_signatures"]), t])


def render_manifest(manifest: RecyclingManifest) -> bytes:
    phones = manifest.phones
    n_emulated = sum(p.emulated for p in phones)
    pairs = [
        (both("batch_id"), manifest.batch_id),
        (both("depot"), manifest.depot.line()),
        (both("recycler"), manifest.recycler.line()),
        (both("created"), manifest.created_at),
        (both("handed_over"), manifest.handed_over_at or "–"),
        (both("phone_count"), str(len(phones))),
    ]
    if n_emulated:
        pairs.append((both("emulated_count"), str(n_emulated)))
    story: list[Flowable] = [
        Title(*L["m_title"], subtitle="{} · {}".format(*L["m_subtitle"])),
        facts(pairs),
        gap(10),
        Heading(*L["s_phones"]),
        _phone_table(phones),
        gap(10),
        KeepTogether(
            [
                Heading(*L["s_by_platform"]),
                _counts(Counter(p.platform for p in phones), "platform_short"),
            ]
        ),
        gap(10),
        Heading(*L["s_by_model"]),
        _counts(Counter(f"{p.manufacturer} {p.model}" for p in phones), "model"),
        gap(14),
        _signature_block(manifest.depot, manifest.recycler),
    ]
    title = f"{L['m_title'][1]} {cell(manifest.batch_id, 400)}"
    footer = (
        f"{both('batch_id')}: {manifest.batch_id} · {both('recycler')}: {manifest.recycler.line()}"
    )
    return build(story, title=title, subject=both("m_title"), footer=footer)
