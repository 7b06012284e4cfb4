"""Files embedded in a PDF that reportlab is drawing (the signed envelopes), added before it saves.

reportlab has no public embedded-file API. Adding them with pypdf afterwards meant parsing and
writing the whole document again, a quarter of a certificate's drawing time; here they go into
the document reportlab writes, as PDF 1.7 section 7.11.4 lays them out: a name tree under the
catalogue's /Names /EmbeddedFiles, each name pointing at a file specification whose /EF holds
the stream. Readers (pypdf's ``attachments``, the verifier) find them as before.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFName,
    PDFStream,
    PDFString,
    PDFZCompress,
)
from reportlab.pdfgen.canvas import Canvas

__all__ = ["attach_to_pdf", "embed_files"]


def embed_files(canvas: Canvas, files: Sequence[tuple[str, bytes]]) -> None:
    """Embed ``files`` (name, content) in the document ``canvas`` will save; names are unique."""
    names = [name for name, _ in files]
    if len(set(names)) != len(names):
        raise ValueError("two embedded files share a name")
    doc = canvas._doc  # reportlab's document object; the only way to reach the catalogue
    entries: list[object] = []
    # A name tree's keys are sorted by their bytes (PDF 1.7, 7.9.6).
    for name, data in sorted(files, key=lambda f: f[0].encode("utf-8")):
        stream = PDFStream(
            PDFDictionary(
                {"Type": PDFName("EmbeddedFile"), "Params": PDFDictionary({"Size": len(data)})}
            ),
            data,
            filters=[PDFZCompress],
        )
        spec = PDFDictionary(
            {
                "Type": PDFName("Filespec"),
                "F": PDFString(name),
                "UF": PDFString(name),
                "EF": PDFDictionary({"F": doc.Reference(stream)}),
            }
        )
        entries += [PDFString(name), doc.Reference(spec)]
    doc.Catalog.Names = PDFDictionary(
        {"EmbeddedFiles": PDFDictionary({"Names": PDFArray(entries)})}
    )


def attach_to_pdf(pdf: bytes, files: Sequence[tuple[str, bytes]]) -> bytes:
    """``pdf`` again with ``files`` embedded: for documents drawn by platypus, whose canvas the
    caller never holds (one manifest a batch, so the second pass costs little)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for name, data in files:
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
