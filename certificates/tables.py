"""Multi-page documents (manifests, reports): bilingual headings and tables that run across pages.

Every cell is cleaned and cut to its column width before it reaches reportlab, so text from a
phone can neither break the table nor smuggle in control or bidi characters.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table, TableStyle

from certificates.labels import L
from certificates.style import BAND, BOLD, INK, ITALIC, MUTED, REGULAR, RULE
from certificates.text import fit, register_fonts

PAGE_W, PAGE_H = A4
MARGIN = 36
FRAME_PAD = 6  # platypus frames keep this much padding on every side
FRAME_W = PAGE_W - 2 * MARGIN - 2 * FRAME_PAD
CELL_PAD = 4
BODY_SIZE = 8.0


class Heading(Flowable):
    """A section band: bokmål in bold, English in italics after a slash, as on the certificate."""

    def __init__(self, nb: str, en: str, size: float = 10.0) -> None:
        super().__init__()
        self.nb, self.en, self.size = nb, en, size
        self.height = size + 8

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        return availWidth, self.height + 6

    def draw(self) -> None:
        c = self.canv
        c.setFillColor(BAND)
        c.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        c.setFillColor(INK)
        c.setFont(BOLD, self.size)
        c.drawString(4, 5, self.nb)
        c.setFillColor(MUTED)
        c.setFont(ITALIC, self.size - 0.5)
        c.drawString(4 + c.stringWidth(self.nb, BOLD, self.size) + 6, 5, f"/ {self.en}")


class Title(Flowable):
    """Document title in both languages, and one line of context under it."""

    def __init__(self, nb: str, en: str, subtitle: str = "") -> None:
        super().__init__()
        self.nb, self.en, self.subtitle = nb, en, subtitle

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        return availWidth, 52

    def draw(self) -> None:
        c = self.canv
        c.setFillColor(INK)
        c.setFont(BOLD, 18)
        c.drawString(0, 34, fit(self.nb, BOLD, 18, self.width))
        c.setFillColor(MUTED)
        c.setFont(ITALIC, 13)
        c.drawString(0, 18, fit(self.en, ITALIC, 13, self.width))
        c.setFont(REGULAR, 7.5)
        c.drawString(0, 5, fit(self.subtitle, REGULAR, 7.5, self.width))


def both(key: str, sep: str = " / ") -> str:
    nb, en = L[key]
    return nb if nb == en else f"{nb}{sep}{en}"


def cell(text: str, width: float, font: str = REGULAR, size: float = BODY_SIZE) -> str:
    """One cleaned line per line of ``text``, each cut to the column width."""
    return "\n".join(fit(line, font, size, width - 2 * CELL_PAD) for line in text.split("\n"))


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    right_align: Sequence[int] = (),
) -> Table:
    """A striped table whose bilingual header repeats on every page it runs onto.

    ``header`` cells hold "bokmål\\nEnglish"; body cells are cut to fit their column.
    """
    body = [[cell(v, w) for v, w in zip(row, widths, strict=True)] for row in rows]
    t = Table([list(header), *body], colWidths=list(widths), repeatRows=1)
    style: list[tuple[object, ...]] = [
        ("FONT", (0, 0), (-1, 0), BOLD, 7.2, 8.6),
        ("FONT", (0, 1), (-1, -1), REGULAR, BODY_SIZE, BODY_SIZE + 2),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), BAND),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 1), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 2),
    ]
    for col in right_align:
        style.append(("ALIGN", (col, 0), (col, -1), "RIGHT"))
    for i in range(2, len(body) + 1, 2):
        style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f7f9fa")))
    t.setStyle(TableStyle(style))
    return t


def facts(pairs: Sequence[tuple[str, str]], label_w: float = 170) -> Table:
    """Label/value lines for a document's header block; labels bilingual, values cleaned."""
    value_w = FRAME_W - label_w
    rows = [[label, cell(value, value_w, REGULAR, 9)] for label, value in pairs]
    t = Table(rows, colWidths=[label_w, value_w])
    t.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (0, -1), BOLD, 7.5),
                ("FONT", (1, 0), (1, -1), REGULAR, 9),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
            ]
        )
    )
    return t


def gap(height: float = 8) -> Spacer:
    return Spacer(1, height)


def build(
    story: list[Flowable],
    title: str,
    subject: str,
    footer: str,
    *,
    top: float = 0,
    decorate: Callable[[Canvas, int], None] | None = None,
) -> bytes:
    """Lay ``story`` out on A4 pages with a footer naming the document and the page.

    ``top`` keeps that much room above the frame on every page for ``decorate``, which draws
    on each page (a header, a QR code, a DRAFT mark) given the canvas and the page number.
    """
    register_fonts()
    buf = io.BytesIO()

    def on_page(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 6.8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN - 14, fit(footer, REGULAR, 6.8, FRAME_W - 80))
        canvas.drawRightString(PAGE_W - MARGIN, MARGIN - 14, f"{both('page')} {doc.page}")
        canvas.restoreState()
        if decorate is not None:
            canvas.saveState()
            decorate(canvas, doc.page)
            canvas.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + top,
        bottomMargin=MARGIN,
        title=title,
        subject=subject,
        author="Wipe Station",
        creator="Wipe Station",
        invariant=True,
    )
    page_cb: Callable[[Canvas, SimpleDocTemplate], None] = on_page
    doc.build(story, onFirstPage=page_cb, onLaterPages=page_cb)
    return buf.getvalue()
