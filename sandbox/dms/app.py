"""The simulated DMS: REST/JSON in CMIS-like terms (version series, labels, renditions).

`GET /api/documents` takes exactly one of `ids=` (batch; a deleted document answers as the
tombstone `{"id", "deleted": true}`, an unknown one is left out), `refs=type:id,…` (documents
referencing any of those ERP/CRM objects) or `owner=` (a customer's documents, searchable and
paged: `{"objects", "num_items", "has_more_items", "page", "page_size"}`). Versions come newest
first, as CMIS `getAllVersions` returns them; each lists its renditions (thumbnail, preview
image, preview PDF) with their state, and a ready one is served under
`…/versions/{id}/renditions/{kind}`. Errors are CMIS browser-binding JSON
`{"exception", "message"}` (with a `reason` when a write is refused). The writes (a new
document, a new version) are in `writes.py`, deleting one in `deletion.py`.
"""

import hashlib
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.advance import Advance, advance_route
from sandbox.dms.deletion import Deletion
from sandbox.dms.renditions import rendition
from sandbox.dms.writes import DmsLimits, DmsWrites
from sandbox.faults import Faults
from sandbox.instrument import instrumented_app
from sandbox.model import Document, DocumentVersion, Seed
from sandbox.rest import (
    BadRequest,
    Clock,
    date_param,
    guarded,
    id_list,
    int_param,
    matches,
    within,
)
from sandbox.stats import RequestStats
from sandbox.webhooks import Webhooks

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
CMIS_EXCEPTIONS = {400: "invalidArgument", 401: "unauthorized", 404: "objectNotFound",
                   409: "constraint", 413: "constraint", 415: "streamNotSupported",
                   422: "constraint"}  # fmt: skip
THUMBNAIL_MIME = "image/png"


def dms_error(status: int, text: str, reason: str | None = None, **details: str) -> Response:
    exception = CMIS_EXCEPTIONS.get(status, "runtime")
    body = {"exception": exception, "message": text} | ({"reason": reason} if reason else {})
    return JSONResponse(body | details, status_code=status)


def preview_status(version: DocumentVersion) -> str:
    """A PDF is its own preview; other formats are previewable when a thumbnail could be made."""
    return "ready" if version.mime_type == "application/pdf" else version.thumbnail


def version_json(document: Document, version: DocumentVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "document_id": document.id,
        "label": version.label,
        "is_major": version.is_major,
        "is_latest": version is document.versions[-1],
        "comment": version.comment,
        "created_by": version.created_by,
        "created_at": version.created_at.isoformat(),
        "mime_type": version.mime_type,
        "filename": version.filename,
        "size": len(version.content),
        "sha256": hashlib.sha256(version.content).hexdigest(),
        "renditions": [
            {"kind": "thumbnail", "status": version.thumbnail, "mime_type": THUMBNAIL_MIME},
            {"kind": "preview_image", "status": version.thumbnail, "mime_type": THUMBNAIL_MIME},
            {
                "kind": "preview_pdf",
                "status": preview_status(version),
                "mime_type": "application/pdf",
            },
        ],
    }


def document_json(document: Document) -> dict[str, Any]:
    if document.deleted:
        return {"id": document.id, "deleted": True}
    return {
        "id": document.id,
        "owner": document.customer,
        "name": document.title,
        "type": document.doc_type,
        "audience": document.audience,
        "tags": document.tags,
        "uploaded_by": document.uploaded_by,
        "references": [{"type": kind, "id": key} for kind, key in document.references],
        "created_at": document.versions[0].created_at.isoformat(),
        "updated_at": document.versions[-1].created_at.isoformat(),
        "latest_version": version_json(document, document.versions[-1]),
    }


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback name plus the exact UTF-8 name."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class DmsApi:
    """The DMS's handlers over the shared seed; they read it on every request."""

    def __init__(self, seed: Seed) -> None:
        self.seed = seed

    def live(self) -> list[Document]:
        return [document for document in self.seed.documents if not document.deleted]

    async def documents(self, request: Request) -> Response:
        ids, refs = id_list(request, "ids"), id_list(request, "refs")
        owner = request.query_params.get("owner")
        if sum(given is not None for given in (ids, refs, owner)) != 1:
            raise BadRequest("exactly one of 'ids', 'refs' or 'owner' is required")
        if ids is not None:
            wanted = set(ids)
            return JSONResponse([document_json(d) for d in self.seed.documents if d.id in wanted])
        if refs is not None:
            if not all(":" in ref for ref in refs):
                raise BadRequest("'refs' entries are <type>:<id>, such as order:10000002")
            targets = {tuple(ref.split(":", 1)) for ref in refs}
            found = [d for d in self.live() if targets.intersection(d.references)]
            return JSONResponse([document_json(d) for d in found])
        return self.search(request, owner or "")

    def search(self, request: Request, owner: str) -> Response:
        kind, text = request.query_params.get("type"), request.query_params.get("search")
        start, end = date_param(request, "from"), date_param(request, "to")
        page = int_param(request, "page", 1, 10_000)
        size = int_param(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        found = sorted(
            (
                d
                for d in self.live()
                if d.customer == owner
                and (not kind or d.doc_type == kind)
                and matches(text, d.title, d.versions[-1].filename, *d.tags)
                and within(d.versions[0].created_at.date(), start, end)
            ),
            key=lambda d: (d.versions[-1].created_at, d.id),
            reverse=True,
        )
        objects = found[(page - 1) * size : page * size]
        return JSONResponse(
            {
                "objects": [document_json(d) for d in objects],
                "num_items": len(found),
                "has_more_items": page * size < len(found),
                "page": page,
                "page_size": size,
            }
        )

    async def versions(self, request: Request) -> Response:
        ids = id_list(request, "document_ids")
        if ids is None:
            raise BadRequest("'document_ids' is required")
        wanted = set(ids)
        found = [
            version_json(document, version)
            for document in self.live()
            if document.id in wanted
            for version in reversed(document.versions)
        ]
        return JSONResponse(found)

    def version(self, request: Request) -> tuple[Document, DocumentVersion] | None:
        document_id = request.path_params["document_id"]
        version_id = request.path_params["version_id"]
        return next(
            (
                (d, v)
                for d in self.live()
                if d.id == document_id
                for v in d.versions
                if v.id == version_id
            ),
            None,
        )

    async def content(self, request: Request) -> Response:
        found = self.version(request)
        if found is None:
            return dms_error(404, "no such version of this document")
        _, version = found
        return Response(
            version.content,
            media_type=version.mime_type,
            headers={"Content-Disposition": content_disposition(version.filename)},
        )

    async def rendition(self, request: Request) -> Response:
        found = self.version(request)
        made = rendition(found[0].title, found[1], request.path_params["kind"]) if found else None
        if made is None:
            return dms_error(404, "no such rendition of this version")
        content, media_type = made
        return Response(content, media_type=media_type)


def create_dms_app(
    seed: Seed,
    faults: Faults,
    stats: RequestStats,
    token: str,
    clock: Clock,
    webhooks: Webhooks,
    limits: DmsLimits | None = None,
    advances: Mapping[str, Advance] | None = None,
) -> Starlette:
    """The DMS on `seed`; `token` is the API token clients send as `Bearer`; writes are dated
    by `clock`, announced through `webhooks` and held to `limits`; `advances` serve
    `POST /_advance`."""
    api = DmsApi(seed)
    writes = DmsWrites(seed, clock, limits or DmsLimits(), webhooks, document_json, dms_error)
    deletion = Deletion(seed, clock, dms_error)
    guard = guarded(token, dms_error)
    routes = [
        Route("/api/documents", guard(api.documents), methods=["GET"]),
        Route("/api/documents", guard(writes.create_document), methods=["POST"]),
        Route("/api/documents/versions", guard(api.versions), methods=["GET"]),
        Route("/api/documents/{document_id}", guard(deletion.delete), methods=["DELETE"]),
        Route("/api/documents/{document_id}/versions", guard(writes.add_version), methods=["POST"]),
        Route(
            "/api/documents/{document_id}/versions/{version_id}/content",
            guard(api.content),
            methods=["GET"],
        ),
        Route(
            "/api/documents/{document_id}/versions/{version_id}/renditions/{kind}",
            guard(api.rendition),
            methods=["GET"],
        ),
        *([advance_route(advances)] if advances else []),
    ]
    return instrumented_app(routes, stats, faults, failure=dms_error)
