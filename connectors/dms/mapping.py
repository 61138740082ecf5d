"""DMS payloads (CMIS-like JSON) to records; pure functions.

A deleted document answers a by-id read as the tombstone `{"id", "deleted": true}`, which
maps to `None`, exactly like a document the DMS never had. Writes go the other way: the form
fields of a new document or version, and the reason of a refused upload.
"""

from collections.abc import AsyncIterator, Callable
from datetime import date
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any

from connectors.base.errors import Refusal, UpstreamRefused
from connectors.base.payload import (
    Payload,
    as_object,
    as_objects,
    boolean,
    child,
    children,
    choice,
    integer,
    mapper,
    opt_text,
    text,
    texts,
    timestamp,
)
from connectors.base.records import (
    CaseRef,
    Document,
    DocumentVersion,
    DownloadedContent,
    LegalHold,
    NewDocument,
    NewVersion,
    Rendition,
    System,
)

DOCUMENT_TYPES = {
    name: name.upper()
    for name in (
        "quote",
        "order_confirmation",
        "delivery_note",
        "invoice",
        "credit_note",
        "reminder",
        "contract",
        "technical",
        "certificate",
        "other",
    )
}
AUDIENCES = {name: name.upper() for name in ("commercial", "financial", "technical", "contract")}
UPLOADERS = {"customer": "CUSTOMER", "provider": "PROVIDER"}
REFERENCE_TYPES = {
    name: name.upper() for name in ("order", "invoice", "quote", "ticket", "delivery", "booking")
}
RENDITION_KINDS = {
    "thumbnail": "THUMBNAIL",
    "preview_image": "PREVIEW_IMAGE",
    "preview_pdf": "PREVIEW_PDF",
}
RENDITION_STATES = {"ready": "READY", "pending": "PENDING", "unavailable": "UNAVAILABLE"}
DEFAULT_MIME = "application/octet-stream"
REFUSALS = {
    "content_too_large": "FILE_TOO_LARGE",
    "media_type_not_allowed": "CONTENT_TYPE_NOT_ALLOWED",
    "virus_detected": "VIRUS_DETECTED",
}
"""The DMS's reasons for refusing a file → the portal's user-error codes."""
UPLOAD_FIELD = "upload"
"""The field a refused file is given as."""

dms = mapper(System.DMS)


@dms
def document_entries(body: object) -> list[tuple[str, Document | None]]:
    """A by-id answer as (id, document), with `None` for tombstones."""
    entries = as_objects(body)
    return [(text(e, "id"), None if e.get("deleted") is True else document(e)) for e in entries]


@dms
def documents(body: object) -> list[Document]:
    """A list of live documents (the answer to a reference query)."""
    return [document(entry) for entry in as_objects(body)]


@dms
def document_page(body: object) -> tuple[list[Document], bool]:
    """One page of an owner search and whether more pages follow."""
    page = as_object(body)
    found = [document(entry) for entry in children(page, "objects")]
    return found, boolean(page, "has_more_items")


@dms
def stored(body: object) -> Document:
    """The answer to a write: the document with its new version as the latest."""
    return document(as_object(body))


def document(payload: Payload) -> Document:
    return Document(
        id=text(payload, "id"),
        customer=text(payload, "owner"),
        title=text(payload, "name"),
        document_type=choice(payload, "type", DOCUMENT_TYPES),
        audience=choice(payload, "audience", AUDIENCES),
        tags=texts(payload, "tags"),
        uploaded_by=choice(payload, "uploaded_by", UPLOADERS),
        subjects=tuple(
            CaseRef(choice(ref, "type", REFERENCE_TYPES), text(ref, "id"))
            for ref in children(payload, "references")
        ),
        created_at=timestamp(payload, "created_at"),
        updated_at=timestamp(payload, "updated_at"),
        latest_version=version(child(payload, "latest_version")),
    )


@dms
def versions(body: object) -> list[DocumentVersion]:
    return [version(entry) for entry in as_objects(body)]


def version(payload: Payload) -> DocumentVersion:
    return DocumentVersion(
        id=text(payload, "id"),
        document_id=text(payload, "document_id"),
        version_label=text(payload, "label"),
        is_major=boolean(payload, "is_major"),
        is_latest=boolean(payload, "is_latest"),
        comment=opt_text(payload, "comment"),
        created_by=text(payload, "created_by"),
        created_at=timestamp(payload, "created_at"),
        mime_type=text(payload, "mime_type"),
        filename=text(payload, "filename"),
        size=integer(payload, "size"),
        content_hash=text(payload, "sha256"),
        renditions=tuple(
            Rendition(
                kind=choice(rendition, "kind", RENDITION_KINDS),
                status=choice(rendition, "status", RENDITION_STATES),
                mime_type=opt_text(rendition, "mime_type"),
            )
            for rendition in children(payload, "renditions")
        ),
    )


def downloaded(
    chunks: AsyncIterator[bytes],
    content_type: str | None,
    disposition: str | None,
    fallback_name: str,
) -> DownloadedContent:
    """The bytes with their media type and file name."""
    headers = Message()
    headers["Content-Type"] = content_type or DEFAULT_MIME
    return DownloadedContent(
        chunks=chunks,
        mime_type=headers.get_content_type(),
        filename=attachment_name(disposition) or fallback_name,
    )


def attachment_name(disposition: str | None) -> str | None:
    """The file name of a Content-Disposition, preferring RFC 6266's exact `filename*` over
    the ASCII `filename` fallback (the stdlib returns whichever comes first)."""
    if disposition is None:
        return None
    headers = Message()
    headers["Content-Disposition"] = disposition
    params = headers.get_params([], header="Content-Disposition")
    names = [value for key, value in params if key == "filename"]
    extended = [name for name in names if isinstance(name, tuple)]
    chosen = extended or names
    return collapse_rfc2231_value(chosen[0]) or None if chosen else None


def reference(subject: CaseRef) -> str:
    """A case as the DMS names it in `refs=` and `references`: `order:10000002`."""
    return f"{subject.type.lower()}:{subject.id}"


def document_form(new: NewDocument) -> dict[str, str]:
    """The fields of `POST /api/documents` besides the file."""
    return {
        "owner": new.customer,
        "name": new.title,
        "type": new.document_type.lower(),
        "audience": new.audience.lower(),
        "references": ",".join(reference(subject) for subject in new.subjects),
        "created_by": new.created_by,
        "uploaded_by": "customer",
    }


def version_form(new: NewVersion) -> dict[str, str]:
    """The fields of `POST /api/documents/{id}/versions` besides the file."""
    return {
        "major": "true" if new.is_major else "false",
        "comment": new.comment or "",
        "created_by": new.created_by,
    }


def refused_upload(status: int, body: Any) -> UpstreamRefused | None:
    """A refused upload's error answer (`{"reason", "message"}`, any 4xx) as the DMS's
    reason; None for any other error."""
    reason = REFUSALS.get(str(body.get("reason"))) if isinstance(body, dict) else None
    if reason is None:
        return None
    refusal = Refusal(UPLOAD_FIELD, reason, str(body.get("message", "")))
    return UpstreamRefused(System.DMS, (refusal,))


class RetentionHeld(UpstreamRefused):
    """The DMS refused to delete a document under a retention hold (CMIS `constraint`)."""

    def __init__(self, hold: LegalHold) -> None:
        super().__init__(System.DMS, (Refusal(None, "RETENTION_HOLD", hold.reason),))
        self.hold = hold


def refused_deletion(document_id: str) -> Callable[[int, Any], UpstreamRefused | None]:
    """Reads a refused deletion: 409 `retention_hold` names the hold and its last day."""

    def read(status: int, body: Any) -> UpstreamRefused | None:
        if status != 409 or not isinstance(body, dict) or body.get("reason") != "retention_hold":
            return None
        until = body.get("retain_until")
        try:
            retain_until = date.fromisoformat(until) if isinstance(until, str) else None
        except ValueError:
            retain_until = None
        message = str(body.get("message", "")) or "Kept under a retention hold."
        return RetentionHeld(LegalHold(System.DMS, "DOCUMENT", document_id, message, retain_until))

    return read
