"""A document as a PDF file (fpdf2: pure Python, so nothing beyond the wheel to install).
Shared: the documents API offers it for download, ingest attaches it when sending.

Text in Latin-1 uses PDF's built-in Helvetica; anything else needs a Unicode TrueType font:
DejaVu Sans where the system has it (Debian's fonts-dejavu), else the characters Helvetica
cannot show are replaced, never dropped silently (the text version is kept alongside)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def _unicode_font() -> Path | None:
    return next((p for p in UNICODE_FONTS if p.exists()), None)


def render_pdf(title: str, text: str, footer: str, created: datetime) -> bytes:
    # Imported on first use: fpdf2 and fontTools are half a second of every service
    # process's start, and most never render a document.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creation_date(created)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    family = "Helvetica"
    font = _unicode_font()
    if font is not None and not (title + text + footer).isascii():
        pdf.add_font("DejaVu", fname=str(font))
        family = "DejaVu"
    elif family == "Helvetica":
        title, text, footer = (_latin1(s) for s in (title, text, footer))
    pdf.set_font(family, size=16)
    pdf.multi_cell(0, 9, title)
    pdf.ln(4)
    pdf.set_font(family, size=11)
    pdf.multi_cell(0, 6, text)
    pdf.ln(6)
    pdf.set_font(family, size=8)
    pdf.multi_cell(0, 5, footer)
    return bytes(pdf.output())


def attachment_pdf(attachment: dict[str, Any]) -> bytes:
    """The PDF of a document a reply carries (ReplyRequested.attachment)."""
    created = datetime.fromisoformat(str(attachment["created"]))
    footer = f"v{attachment['version']} · {created.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return render_pdf(str(attachment["title"]), str(attachment["text"]), footer, created)


def _latin1(s: str) -> str:
    return s.encode("latin-1", "replace").decode("latin-1")
