"""The DMS's writes, CMIS browser-binding style: `POST /api/documents` creates a document with
its first version 1.0 (`createDocument`), `POST /api/documents/{document_id}/versions` checks
in the next version (minor by default, `major=true` for the next major: 1.0 → 1.1 → 2.0).

Both take a multipart form whose file part is `content`. A file is stored whole or not at all:
the DMS checks its own limits (size, media types) and runs a virus scan before anything is
kept, and answers a refusal as a CMIS error with a `reason` (`content_too_large` 413,
`media_type_not_allowed` 415, `virus_detected` 422). A stored version sends the DMS's
`version.created` webhook once the answer is out, as `/_advance` does.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.model import Document, DocumentVersion, Seed
from sandbox.rest import BadRequest, Clock
from sandbox.webhooks import Webhooks, event_id

DocumentRenderer = Callable[[Document], dict[str, Any]]
Failure = Callable[..., Response]

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
"""The anti-virus test file every scanner detects (written in two parts so that this source
file does not itself trip a scanner)."""
FORM_OVERHEAD = 64 * 1024
"""What the form's fields and boundaries may add to the file's size."""
TYPES = frozenset({"quote", "order_confirmation", "delivery_note", "invoice", "credit_note",
                   "reminder", "contract", "technical", "certificate", "other"})  # fmt: skip
AUDIENCES = frozenset({"commercial", "financial", "technical", "contract"})
REFERENCE_TYPES = frozenset({"order", "invoice", "quote", "ticket", "delivery", "booking"})
THUMBNAILS = frozenset({"application/pdf", "image/png", "image/jpeg"})
"""Formats the DMS renders thumbnails of; other versions have none (`unavailable`)."""
ACCEPTED = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/tiff", "image/svg+xml",
    "image/vnd.dwg", "image/vnd.dxf", "text/plain", "text/csv", "application/xml",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
})  # fmt: skip
MAX_NAME = 255


@dataclass
class DmsLimits:
    """The DMS's own limits, independent of the gateway's (tests lower them)."""

    max_bytes: int = 64 * 1024 * 1024
    media_types: frozenset[str] = field(default_factory=lambda: ACCEPTED)


class Refused(Exception):
    """The DMS will not store this file."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


def next_label(label: str, major: bool) -> str:
    high, _, low = label.partition(".")
    return f"{int(high) + 1}.0" if major else f"{high}.{int(low or 0) + 1}"


def version_created(document: Document, version: DocumentVersion) -> dict[str, Any]:
    """The webhook event of a new version (the first one of a new document included)."""
    return {
        "id": event_id("dms"),
        "event": "version.created",
        "occurred_at": version.created_at.isoformat(),
        "object": {
            "document_id": document.id,
            "version_id": version.id,
            "owner": document.customer,
        },
    }


class DmsWrites:
    """The write handlers; `render` turns a document into its JSON (shared with the reads)."""

    def __init__(
        self,
        seed: Seed,
        clock: Clock,
        limits: DmsLimits,
        webhooks: Webhooks,
        render: DocumentRenderer,
        failure: Failure,
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.limits = limits
        self.webhooks = webhooks
        self.render = render
        self.failure = failure

    async def create_document(self, request: Request) -> Response:
        try:
            async with self._form(request) as form:
                fields = _fields(form, "owner", "name", "type", "audience", "created_by")
                content, mime, filename = await self._content(form)
        except Refused as refused:
            return self.failure(refused.status, str(refused), reason=refused.reason)
        if not any(c.number == fields["owner"] for c in self.seed.customers):
            raise BadRequest(f"'owner' {fields['owner']!r} is not a known customer")
        _choice(fields, "type", TYPES)
        _choice(fields, "audience", AUDIENCES)
        uploaded_by = str(form.get("uploaded_by") or "customer")
        if uploaded_by not in {"customer", "provider"}:
            raise BadRequest("'uploaded_by' must be customer or provider")
        document = Document(
            id=f"doc-{uuid.uuid4().hex[:12]}",
            customer=fields["owner"],
            title=fields["name"],
            doc_type=fields["type"],
            audience=fields["audience"],
            tags=[],
            uploaded_by=uploaded_by,
            references=_references(str(form.get("references") or "")),
            versions=[],
        )
        version = self._version(document, "1.0", "", fields["created_by"], mime, filename, content)
        document.versions.append(version)
        self.seed.documents.append(document)
        return self._stored(document, version)

    async def add_version(self, request: Request) -> Response:
        document_id = request.path_params["document_id"]
        document = next(
            (d for d in self.seed.documents if d.id == document_id and not d.deleted), None
        )
        if document is None:
            return self.failure(404, f"no document {document_id}")
        try:
            async with self._form(request) as form:
                fields = _fields(form, "created_by")
                content, mime, filename = await self._content(form)
        except Refused as refused:
            return self.failure(refused.status, str(refused), reason=refused.reason)
        major = str(form.get("major") or "false")
        if major not in {"true", "false"}:
            raise BadRequest("'major' must be true or false")
        label = next_label(document.versions[-1].label, major == "true")
        comment = str(form.get("comment") or "")[:MAX_NAME]
        version = self._version(
            document, label, comment, fields["created_by"], mime, filename, content
        )
        document.versions.append(version)
        return self._stored(document, version)

    @asynccontextmanager
    async def _form(self, request: Request) -> AsyncIterator[FormData]:
        """The parsed form, its file closed when the block ends; a body declared larger than
        the limit is refused before it is read."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes + FORM_OVERHEAD:
            raise Refused(413, "content_too_large", self._too_large())
        try:
            form = await request.form(max_files=1, max_fields=20, max_part_size=FORM_OVERHEAD)
        except HTTPException as error:  # starlette's answer to a malformed body
            raise BadRequest(f"unreadable multipart body: {error.detail}") from error
        try:
            yield form
        finally:
            await form.close()

    async def _content(self, form: FormData) -> tuple[bytes, str, str]:
        """The file's bytes, media type and name, once the limits and the scan pass."""
        upload = form.get("content")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise BadRequest("the file is required as the multipart part 'content'")
        if upload.size is None or upload.size > self.limits.max_bytes:
            raise Refused(413, "content_too_large", self._too_large())
        mime = (upload.content_type or "").split(";")[0].strip().lower()
        if mime not in self.limits.media_types:
            raise Refused(415, "media_type_not_allowed", f"media type {mime!r} is not accepted")
        content = await upload.read()
        if EICAR in content:
            raise Refused(422, "virus_detected", "virus found: EICAR-Test-File; nothing stored")
        return content, mime, upload.filename[:MAX_NAME]

    def _too_large(self) -> str:
        return f"content larger than {self.limits.max_bytes} bytes; nothing stored"

    def _version(
        self,
        document: Document,
        label: str,
        comment: str,
        author: str,
        mime: str,
        filename: str,
        content: bytes,
    ) -> DocumentVersion:
        return DocumentVersion(
            id=f"{document.id}-v{len(document.versions) + 1}",
            label=label,
            is_major=label.endswith(".0"),
            comment=comment,
            created_by=author,
            created_at=self.clock(),
            mime_type=mime,
            filename=filename,
            content=content,
            thumbnail="ready" if mime in THUMBNAILS else "unavailable",
        )

    def _stored(self, document: Document, version: DocumentVersion) -> Response:
        event = version_created(document, version)
        return JSONResponse(
            self.render(document),
            status_code=201,
            background=BackgroundTask(self.webhooks.deliver, "dms", event),
        )


def _fields(form: FormData, *names: str) -> dict[str, str]:
    """The required text fields of `form`, stripped and at most `MAX_NAME` long."""
    found: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(f"'{name}' is required")
        if len(value) > MAX_NAME:
            raise BadRequest(f"'{name}' is longer than {MAX_NAME} characters")
        found[name] = value.strip()
    return found


def _choice(fields: dict[str, str], name: str, allowed: frozenset[str]) -> None:
    if fields[name] not in allowed:
        raise BadRequest(f"'{name}' must be one of {sorted(allowed)}")


def _references(raw: str) -> list[tuple[str, str]]:
    """`order:10000002,ticket:TCK-1010` as (type, id) pairs."""
    found: list[tuple[str, str]] = []
    for item in filter(None, raw.split(",")):
        kind, _, key = item.partition(":")
        if kind not in REFERENCE_TYPES or not key:
            raise BadRequest(f"'references' entries are <type>:<id> with a type of "
                             f"{sorted(REFERENCE_TYPES)}")  # fmt: skip
        found.append((kind, key))
    return found
