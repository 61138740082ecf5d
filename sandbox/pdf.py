"""Small, deterministic PDF documents for the DMS (real PDF content, stable bytes)."""

from datetime import datetime

from fpdf import FPDF


def render_pdf(title: str, lines: list[str], created: datetime) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(created)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
