"""The renderer's bounds, on real worker processes: first page only, pages, pixels, bytes,
memory, time; malformed and unsupported files are refused with a reason."""

import io
import time

import pytest
from PIL import Image

from infra.rendering import Renderer, RenderFailed, RenderLimits
from tests.documents_fixtures import pdf, png, truncated_pdf

PDF = "application/pdf"


def image_of(rendered: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(rendered))
    assert image.format == "PNG"
    return image


async def test_a_long_pdf_renders_its_first_page_within_the_bounds() -> None:
    limits = RenderLimits(timeout_s=10, max_pages=500)
    started = time.monotonic()
    rendered = await Renderer(limits).render(pdf(200), PDF, 256)
    assert time.monotonic() - started < limits.timeout_s
    image = image_of(rendered)
    assert max(image.size) == 256
    assert image.size[0] < image.size[1]  # A4 portrait
    darkest, _ = image.convert("L").getextrema()
    assert isinstance(darkest, int)
    assert darkest < 64  # the page's ink


async def test_bounds_refuse_what_exceeds_them() -> None:
    with pytest.raises(RenderFailed, match="200 pages, more than 100"):
        await Renderer(RenderLimits(max_pages=100)).render(pdf(200), PDF, 256)
    with pytest.raises(RenderFailed, match="pixel limit"):
        await Renderer(RenderLimits(max_pixels=1_000_000)).render(png(2000, 1000), "image/png", 256)
    with pytest.raises(RenderFailed, match="more than 100 bytes"):
        await Renderer(RenderLimits(max_bytes=100)).render(pdf(1), PDF, 256)
    with pytest.raises(RenderFailed, match=r"took longer than 0\.01 s"):
        await Renderer(RenderLimits(timeout_s=0.01)).render(pdf(1), PDF, 256)


async def test_the_memory_limit_stops_a_render_that_needs_more() -> None:
    """8000 × 8000 RGB pixels are allowed by count, but decoding them takes ~190 MB."""
    big = png(8000, 8000)
    limits = RenderLimits(max_pixels=100_000_000, memory_mb=128)
    with pytest.raises(RenderFailed):
        await Renderer(limits).render(big, "image/png", 256)
    rendered = await Renderer(RenderLimits(max_pixels=100_000_000)).render(big, "image/png", 256)
    assert image_of(rendered).size == (256, 256)


@pytest.mark.parametrize(
    ("content", "mime_type", "reason"),
    [
        (truncated_pdf(), PDF, "not a readable PDF"),
        (b"%PDF-1.7\nnothing but a header", PDF, "not a readable PDF"),
        (b"\x89PNG\r\n\x1a\n broken", "image/png", "not a readable image"),
        (b"AC1032 a drawing", "image/vnd.dwg", "image/vnd.dwg cannot be rendered"),
    ],
)
async def test_malformed_and_unsupported_files_are_refused(
    content: bytes, mime_type: str, reason: str
) -> None:
    with pytest.raises(RenderFailed, match=reason):
        await Renderer(RenderLimits()).render(content, mime_type, 256)


async def test_images_keep_their_aspect_ratio() -> None:
    rendered = await Renderer(RenderLimits()).render(png(1200, 800), "image/png", 256)
    assert image_of(rendered).size == (256, 171)
    assert Renderer.supports("image/jpeg")
    assert not Renderer.supports("image/svg+xml")
