"""What the gateway accepts as an uploaded file, before the DMS sees it: at most `max_bytes`,
of an allowed media type as the client declares it (the part's Content-Type, or the file
name's extension when the client declares none), confirmed by the file's first bytes ("magic
bytes") and by its extension. The DMS then checks its own limits and scans for viruses.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from connectors.base.records import FileContent
from resolvers.writes import Problem

HEAD_BYTES = 512
"""How much of a file's start the content checks read."""
MAX_FILENAME = 200
GENERIC_TYPE = "application/octet-stream"
"""What browsers declare for a file type they do not know (.dwg, .dxf): the extension tells."""


@dataclass(frozen=True)
class FileType:
    label: str
    extensions: tuple[str, ...]
    recognizes: Callable[[bytes], bool]


def _starts(*prefixes: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(prefixes)


def _text(head: bytes) -> bool:
    """UTF-8 without NUL bytes; a character cut off at the end of the head still counts."""
    if b"\x00" in head:
        return False
    try:
        head.decode()
    except UnicodeDecodeError as error:
        return error.reason == "unexpected end of data"
    return True


def _dxf(head: bytes) -> bool:
    """Binary DXF by its sentinel; ASCII DXF starts with a group code 0 (or 999, a comment)."""
    binary = head.startswith(b"AutoCAD Binary DXF")
    return binary or (_text(head) and re.match(rb"\s*(0|999)\r?\n", head) is not None)


_ZIP = _starts(b"PK\x03\x04")  # Office Open XML is a ZIP package
_OLE = _starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # legacy Office: a compound file
_OOXML = "application/vnd.openxmlformats-officedocument"

FILE_TYPES: dict[str, FileType] = {
    "application/pdf": FileType("PDF", ("pdf",), _starts(b"%PDF-")),
    "image/png": FileType("PNG image", ("png",), _starts(b"\x89PNG\r\n\x1a\n")),
    "image/jpeg": FileType("JPEG image", ("jpg", "jpeg"), _starts(b"\xff\xd8\xff")),
    "image/vnd.dwg": FileType("DWG drawing", ("dwg",), _starts(b"AC10")),
    "image/vnd.dxf": FileType("DXF drawing", ("dxf",), _dxf),
    "application/msword": FileType("Word document", ("doc",), _OLE),
    "application/vnd.ms-excel": FileType("Excel workbook", ("xls",), _OLE),
    "application/vnd.ms-powerpoint": FileType("PowerPoint presentation", ("ppt",), _OLE),
    f"{_OOXML}.wordprocessingml.document": FileType("Word document", ("docx",), _ZIP),
    f"{_OOXML}.spreadsheetml.sheet": FileType("Excel workbook", ("xlsx",), _ZIP),
    f"{_OOXML}.presentationml.presentation": FileType("PowerPoint presentation", ("pptx",), _ZIP),
    "text/plain": FileType("text file", ("txt",), _text),
    "text/csv": FileType("CSV file", ("csv",), _text),
}
"""The media types the gateway can recognize by content; settings choose among them."""
ALIASES = {
    "application/acad": "image/vnd.dwg",
    "application/x-dwg": "image/vnd.dwg",
    "image/x-dwg": "image/vnd.dwg",
    "application/dxf": "image/vnd.dxf",
    "image/x-dxf": "image/vnd.dxf",
    "image/jpg": "image/jpeg",
    "application/csv": "text/csv",
}
"""Names in use for the same types, as browsers and operating systems send them."""
BY_EXTENSION = {ext: media for media, kind in FILE_TYPES.items() for ext in kind.extensions}


@dataclass(frozen=True)
class UploadPolicy:
    max_bytes: int = 25 * 1024 * 1024
    media_types: frozenset[str] = frozenset(FILE_TYPES)


@dataclass(frozen=True)
class IncomingFile:
    """An uploaded file as the client sent it; `head` is its first `HEAD_BYTES`."""

    filename: str
    declared_type: str | None
    size: int
    head: bytes
    stream: BinaryIO


def accept(
    policy: UploadPolicy, file: IncomingFile, field: tuple[str, ...]
) -> FileContent | Problem:
    """The file to store, or why it is refused."""
    name = clean_filename(file.filename)
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    media_type = declared_type(file.declared_type, extension)
    if not name:
        return Problem(field, "INVALID", "The file needs a name.")
    if file.size == 0:
        return Problem(field, "EMPTY_FILE", "The file is empty.")
    if file.size > policy.max_bytes:
        return Problem(field, "FILE_TOO_LARGE", f"The file has {megabytes(file.size)}; at "
                       f"most {megabytes(policy.max_bytes)} are accepted.")  # fmt: skip
    kind = FILE_TYPES.get(media_type) if media_type in policy.media_types else None
    if kind is None:
        accepted = sorted({FILE_TYPES[m].label for m in policy.media_types})
        return Problem(field, "CONTENT_TYPE_NOT_ALLOWED", f"Files of type {media_type} are not "
                       f"accepted; upload one of: {', '.join(accepted)}.")  # fmt: skip
    if extension not in kind.extensions:
        endings = " or ".join(f".{ext}" for ext in kind.extensions)
        return Problem(field, "CONTENT_MISMATCH", f"A {kind.label}'s name ends in {endings}.")
    if not kind.recognizes(file.head):
        return Problem(field, "CONTENT_MISMATCH", f"The file's content is not a {kind.label}.")
    return FileContent(name, media_type, file.size, file.stream)


def declared_type(declared: str | None, extension: str) -> str:
    """The media type the client declares, by its usual name; by the extension when the client
    declares none or the generic one."""
    media_type = (declared or "").split(";")[0].strip().lower()
    if media_type in {"", GENERIC_TYPE}:
        return BY_EXTENSION.get(extension, GENERIC_TYPE)
    return ALIASES.get(media_type, media_type)


def clean_filename(filename: str) -> str:
    """The file's own name: no directories (`C:\\fakepath\\…`), no control characters, at most
    `MAX_FILENAME` characters with its extension kept."""
    name = re.split(r"[\\/]", filename)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    if len(name) <= MAX_FILENAME:
        return name
    stem, dot, extension = name.rpartition(".")
    keep = MAX_FILENAME - len(dot + extension)
    return stem[:keep] + dot + extension if dot and keep > 0 else name[:MAX_FILENAME]


def megabytes(size: int) -> str:
    """`25.0 MB`, or `64 KB` below a megabyte."""
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / (1024 * 1024):.1f} MB"
