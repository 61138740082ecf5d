"""Files for the rendering tests, made here: PDFs of any length, a broken PDF, images."""

import io

from fpdf import FPDF
from PIL import Image


def pdf(pages: int, title: str = "Prüfbericht") -> bytes:
    document = FPDF()
    document.set_font("Helvetica", size=14)
    for number in range(1, pages + 1):
        document.add_page()
        document.cell(0, 10, f"{title}, Seite {number} von {pages}")
        document.rect(20, 40, 170, 120, style="F")  # ink on every page
    return bytes(document.output())


def truncated_pdf() -> bytes:
    """A PDF cut off in the middle, as an interrupted upload leaves it."""
    whole = pdf(3)
    return whole[: len(whole) // 2]


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "navy").save(out, format="PNG")
    return out.getvalue()
