"""The DMS's own renditions of a version whose thumbnail it has made: a thumbnail and a preview
image (a card with the title, the file type and the version label, as a DMS shows for files
it has indexed) and a preview PDF (a PDF is its own preview). Stable bytes."""

import io
from datetime import datetime

from PIL import Image, ImageDraw

from sandbox.model import DocumentVersion
from sandbox.pdf import render_pdf

SIZES = {"thumbnail": (192, 256), "preview_image": (768, 1024)}
KINDS = (*SIZES, "preview_pdf")
PNG = "image/png"
PDF = "application/pdf"


def card(title: str, version: DocumentVersion, size: tuple[int, int]) -> bytes:
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    margin = width // 12
    draw.rectangle((0, 0, width - 1, height - 1), outline=(160, 160, 160))
    draw.rectangle((0, 0, width - 1, height // 6), fill=(35, 75, 140))
    extension = version.filename.rsplit(".", 1)[-1].upper()
    draw.text((margin, height // 18), extension, fill="white", font_size=height // 14)
    y = height // 4
    for line in (title, f"Version {version.label}", version.created_by):
        draw.text((margin, y), line, fill="black", font_size=max(10, height // 28))
        y += height // 14
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def rendition(title: str, version: DocumentVersion, kind: str) -> tuple[bytes, str] | None:
    """The rendition's bytes and media type, or None where the DMS has none."""
    if kind == "preview_pdf":
        if version.mime_type == PDF:
            return version.content, PDF
        if version.thumbnail != "ready":
            return None
        created = datetime.combine(version.created_at.date(), datetime.min.time())
        return render_pdf(title, [f"Version {version.label}"], created), PDF
    if kind not in SIZES or version.thumbnail != "ready":
        return None
    return card(title, version, SIZES[kind]), PNG
