"""A QR-bill as files: the payment part with receipt as SVG (drawn by `qrbill`) and an A4 PDF
with it at the bottom of the page, where a printed invoice has it (the same SVG, placed by
fpdf2), so both carry exactly the payload the graph shows."""

import io
from datetime import UTC, datetime, time

from fpdf import FPDF

from resolvers.qr_bills import QrBill, library_bill

A4_WIDTH_MM = 210
SVG = "image/svg+xml"
PDF = "application/pdf"
FORMATS = {"svg": SVG, "pdf": PDF}


def svg(bill: QrBill, full_page: bool = False) -> bytes:
    out = io.StringIO()
    library_bill(bill).as_svg(out, full_page=full_page)
    return out.getvalue().encode()


def pdf(bill: QrBill) -> bytes:
    document = FPDF(unit="mm", format="A4")
    document.set_creation_date(datetime.combine(bill.invoice.issued_at, time(), UTC))
    document.set_title(f"QR-bill {bill.invoice.number}")
    document.add_page()
    document.image(io.BytesIO(svg(bill, full_page=True)), x=0, y=0, w=A4_WIDTH_MM)
    return bytes(document.output())


def render(bill: QrBill, extension: str) -> bytes:
    """The bill as `extension` (a key of FORMATS)."""
    return pdf(bill) if extension == "pdf" else svg(bill)


def filename(bill: QrBill, extension: str) -> str:
    return f"QR-bill_{bill.invoice.number}.{extension}"
