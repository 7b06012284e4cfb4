"""QR codes on certificates, manifests and labels, drawn as vector squares.

Two encoders have drawn the station's documents. Both make a standard QR code (error correction
M, the smallest version that fits) and any phone reads either; they differ in the mask each picks,
so the same text gives different squares. The verifier draws a document again and compares it
page for page, so it must know every encoder the station ever used: ``ENCODERS`` lists them,
newest first, and new documents use the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

import qrcode
import zxingcpp
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

__all__ = ["ENCODERS", "Encoder", "draw_qr", "modules"]


class Encoder(Enum):
    # zxing-cpp encodes in C++, a hundred times faster than qrcode's pure-Python mask scoring
    # (which took two thirds of a certificate's drawing time).
    ZXING = "zxing-cpp"
    # Until 2026-11-30 (certificate layout 1).
    QRCODE = "qrcode"


ENCODERS: tuple[Encoder, ...] = (Encoder.ZXING, Encoder.QRCODE)


def modules(text: str, encoder: Encoder = ENCODERS[0]) -> list[list[bool]]:
    """The dark (True) and light modules of ``text``'s QR code, row by row, with a light border
    one module wide around it."""
    return [[m == _DARK for m in row] for row in _rows(text, encoder)]


_DARK = ord("#")
# zxing-cpp's image has one byte a module: 0 is dark, 255 light.
_ZXING_TO_ROW = bytes.maketrans(bytes([0, 255]), b"#.")


def _rows(text: str, encoder: Encoder) -> list[bytes]:
    """The code's rows as bytes, "#" dark and "." light, border included: runs of dark modules
    are then found by a regular expression in C, not module by module in Python."""
    if encoder is Encoder.QRCODE:
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
        qr.add_data(text)
        qr.make(fit=True)
        return [bytes(_DARK if m else ord(".") for m in row) for row in qr.get_matrix()]
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = memoryview(code.to_image(scale=1, add_quiet_zones=False))
    size = image.shape[0]
    raw = image.tobytes().translate(_ZXING_TO_ROW)
    light = b"." * (size + 2)
    return [light, *(b"." + raw[r * size : (r + 1) * size] + b"." for r in range(size)), light]


def draw_qr(
    c: Canvas, text: str, x: float, y: float, size: float, encoder: Encoder = ENCODERS[0]
) -> None:
    """Draw ``text``'s QR code with its lower-left corner at (x, y), ``size`` points square:
    vector squares, sharp on any printer and no image to encode."""
    rows = _rows(text, encoder)
    cell = size / len(rows)
    path = c.beginPath()
    rects = _blocks(rows) if encoder is Encoder.ZXING else _runs(rows)
    for row, col, rows, cols in rects:
        path.rect(x + col * cell, y + size - (row + rows) * cell, cols * cell, rows * cell)
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)


def _runs(rows: list[bytes]) -> Iterator[tuple[int, int, int, int]]:
    """(row, column, rows, columns) of one rectangle per run of dark modules in a row."""
    for r, line in enumerate(rows):
        for run in _RUN.finditer(line):
            yield r, run.start(), 1, run.end() - run.start()


_RUN = re.compile(rb"#+")


def _blocks(rows: list[bytes]) -> list[tuple[int, int, int, int]]:
    """The runs of ``_runs``, with a run that repeats exactly in the rows below it drawn as one
    taller rectangle: a third fewer rectangles to write (each costs reportlab a Python call)."""
    by_row: list[set[tuple[int, int]]] = [set() for _ in range(len(rows) + 1)]  # last: none
    for r, col, _, cols in _runs(rows):
        by_row[r].add((col, cols))
    done: list[tuple[int, int, int, int]] = []
    open_: dict[tuple[int, int], int] = {}  # (column, columns) -> first row
    for r, here in enumerate(by_row):
        for key in [k for k in open_ if k not in here]:
            first = open_.pop(key)
            done.append((first, key[0], r - first, key[1]))
        for key in here:
            open_.setdefault(key, r)
    done.sort()
    return done
