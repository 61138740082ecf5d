"""One render in a process of its own: `python -m infra.render_worker MIME MAX_SIDE MAX_PAGES
MAX_PIXELS MEMORY_MB CPU_S` reads a document on stdin and writes a PNG of its first page (or
of the image), at most MAX_SIDE pixels on its longer side, to stdout.

The process limits itself before it reads anything: its address space (MEMORY_MB) and its CPU
time (CPU_S), so that a hostile or broken file costs a bounded amount whatever the parser does;
the parent kills it after its wall-clock timeout. A file it refuses (malformed, too many pages,
too many pixels) exits with REFUSED and the reason on stderr.
"""

import io
import resource
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image

REFUSED = 3
PDF = "application/pdf"
IMAGES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}
)
POINTS_PER_INCH = 72


class Refused(Exception):
    """The file cannot be rendered within the limits; the message says why."""


def limit(memory_mb: int, cpu_s: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))


# The parent imports this module's constants only: the renderers' libraries are imported in
# the worker process, where the limits already apply.


def render_pdf(content: bytes, max_side: int, max_pages: int, max_pixels: int) -> bytes:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError as error:
        raise Refused(f"not a readable PDF ({error})") from None
    try:
        pages = len(document)
        if pages == 0:
            raise Refused("the PDF has no pages")
        if pages > max_pages:
            raise Refused(f"the PDF has {pages} pages, more than {max_pages}")
        page = document[0]
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            raise Refused("the first page has no size")
        scale = max_side / max(width, height)
        if width * scale * height * scale > max_pixels:
            raise Refused("the first page exceeds the pixel limit")
        image = page.render(scale=scale).to_pil()
    finally:
        document.close()
    return png(image)


def render_image(content: bytes, max_side: int, max_pixels: int) -> bytes:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = max_pixels  # a decompression bomb fails before it is decoded
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.width * image.height > max_pixels:
                raise Refused(f"{image.width}×{image.height} pixels exceed the pixel limit")
            image.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced size
            image.seek(0)
            image.thumbnail((max_side, max_side))
            return png(image.convert("RGBA" if "A" in image.getbands() else "RGB"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise Refused(f"not a readable image ({error})") from None


def png(image: "Image") -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main(argv: list[str]) -> int:
    mime, max_side, max_pages, max_pixels, memory_mb, cpu_s = argv
    limit(int(memory_mb), int(cpu_s))
    content = sys.stdin.buffer.read()
    try:
        if mime == PDF:
            result = render_pdf(content, int(max_side), int(max_pages), int(max_pixels))
        elif mime in IMAGES:
            result = render_image(content, int(max_side), int(max_pixels))
        else:
            raise Refused(f"{mime} cannot be rendered")
    except Refused as refused:
        sys.stderr.write(str(refused))
        return REFUSED
    except MemoryError:
        sys.stderr.write("the render exceeded its memory limit")
        return REFUSED
    sys.stdout.buffer.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
