"""The DMS adapter: documents, their version series and content over the DMS's REST API.

Batch reads are one request per 100 keys: `ids=` for documents, `refs=type:id` for the
documents of several cases at once, `document_ids=` for versions. Downloads (a version's
content, the DMS's own renditions of it) stream the body while the caller reads it and stop at
`max_download_bytes`. Uploads (a new document, a new version) are multipart forms streamed
from the file in chunks; they are writes, sent once and never retried.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any
from urllib.parse import quote

import httpx

from connectors.base.errors import UpstreamBadResponse
from connectors.base.guard import Guard
from connectors.base.http import HttpLimits, raise_for_status, upstream_errors
from connectors.base.observed import OPERATION
from connectors.base.ports import ListFilter
from connectors.base.records import (
    CaseRef,
    Document,
    DocumentVersion,
    DownloadedContent,
    FileContent,
    NewDocument,
    NewVersion,
    System,
)
from connectors.base.rest import MAX_BATCH, RestAdapter, collect_pages, filter_params, grouped
from connectors.dms import mapping
from connectors.dms.privacy import DmsPrivacy

CONTENT = "GET /api/documents/{document_id}/versions/{version_id}/content"
RENDITION = "GET /api/documents/{document_id}/versions/{version_id}/renditions/{kind}"
NEW_VERSION = "POST /api/documents/{document_id}/versions"
DMS_RENDITIONS = {kind: name for name, kind in mapping.RENDITION_KINDS.items()}


class DmsAdapter(DmsPrivacy, RestAdapter):
    """`DocumentPort` for the DMS, and its `PersonalDataPort` (`DmsPrivacy`)."""

    system = System.DMS

    def __init__(
        self,
        client: httpx.AsyncClient,
        guard: Guard | None = None,
        max_download_bytes: int = HttpLimits.max_body_bytes,
        page_size: int = MAX_BATCH,
    ) -> None:
        super().__init__(client, guard, page_size)
        self._max_download_bytes = max_download_bytes

    async def get_documents(self, ids: Sequence[str]) -> list[Document | None]:
        entries = await self._rest.get_batched(
            "/api/documents", "ids", ids, mapping.document_entries
        )
        by_id = dict(entries)
        return [by_id.get(document_id) for document_id in ids]

    async def list_documents(self, customer: str, query: ListFilter) -> list[Document]:
        params: dict[str, str | int] = {
            "owner": customer,
            "page_size": self._page_size,
            **filter_params(query, "search", "from", "to"),
        }

        async def page(number: int) -> tuple[list[Document], int | None]:
            body = await self._rest.get("/api/documents", {**params, "page": number})
            found, more = mapping.document_page(body)
            return found, number + 1 if more and found else None

        return await collect_pages(1, page)

    async def documents_of(self, subjects: Sequence[CaseRef]) -> list[list[Document]]:
        refs = [mapping.reference(subject) for subject in subjects]
        found = await self._rest.get_batched("/api/documents", "refs", refs, mapping.documents)
        distinct = list({document.id: document for document in found}.values())
        return [[d for d in distinct if subject in d.subjects] for subject in subjects]

    async def versions_of(self, document_ids: Sequence[str]) -> list[list[DocumentVersion]]:
        """Newest first, in the DMS's own order (CMIS `getAllVersions`)."""
        found = await self._rest.get_batched(
            "/api/documents/versions", "document_ids", document_ids, mapping.versions
        )
        return grouped(found, lambda version: version.document_id, document_ids)

    async def create_document(self, new: NewDocument) -> Document:
        body = await self._store("/api/documents", mapping.document_form(new), new.file)
        if body is None:
            raise UpstreamBadResponse(System.DMS, "POST /api/documents answered 404")
        return mapping.stored(body)

    async def add_version(self, new: NewVersion) -> Document | None:
        path = f"/api/documents/{quote(new.document_id, safe='')}/versions"
        body = await self._store(path, mapping.version_form(new), new.file, NEW_VERSION)
        return None if body is None else mapping.stored(body)

    async def _store(
        self, path: str, form: Mapping[str, str], file: FileContent, operation: str | None = None
    ) -> Any:
        """POST the form with `file` as its `content` part; the JSON answer, or None for 404."""
        file.stream.seek(0)
        return await self._rest.post_form(
            path,
            form,
            files={"content": (file.filename, file.stream, file.media_type)},
            operation=operation,
            refusal=mapping.refused_upload,
            missing_ok=True,
        )

    def download(
        self, document_id: str, version_id: str
    ) -> AbstractAsyncContextManager[DownloadedContent | None]:
        path = f"{version_path(document_id, version_id)}/content"
        return self._stream(path, CONTENT, version_id)

    def rendition(
        self, document_id: str, version_id: str, kind: str
    ) -> AbstractAsyncContextManager[DownloadedContent | None]:
        name = DMS_RENDITIONS.get(kind)
        if name is None:
            return nullcontext(None)
        path = f"{version_path(document_id, version_id)}/renditions/{name}"
        return self._stream(path, RENDITION, name)

    @asynccontextmanager
    async def _stream(
        self, path: str, operation: str, fallback_name: str
    ) -> AsyncIterator[DownloadedContent | None]:
        """The body at `path`, streamed while the block runs; None for 404."""
        response = await self._rest.guard.read(lambda: self._open(path, operation))
        if response is None:
            yield None
            return
        try:
            yield mapping.downloaded(
                self._chunks(response, path),
                response.headers.get("Content-Type"),
                response.headers.get("Content-Disposition"),
                fallback_name=fallback_name,
            )
        finally:
            await response.aclose()

    async def _open(self, path: str, operation: str) -> httpx.Response | None:
        """The response with its body still unread; None for 404."""
        request = self._rest.http.build_request("GET", path, extensions={OPERATION: operation})
        async with upstream_errors(System.DMS):
            response = await self._rest.http.send(request, stream=True)
        if response.is_success:
            return response
        await response.aclose()
        if response.status_code == 404:
            return None
        raise_for_status(System.DMS, response)
        raise UpstreamBadResponse(System.DMS, f"HTTP {response.status_code} from {path}")

    async def _chunks(self, response: httpx.Response, path: str) -> AsyncIterator[bytes]:
        size = 0
        async with upstream_errors(System.DMS):
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_download_bytes:
                    raise UpstreamBadResponse(
                        System.DMS, f"content of {path} exceeds {self._max_download_bytes} bytes"
                    )
                yield chunk


def version_path(document_id: str, version_id: str) -> str:
    return f"/api/documents/{quote(document_id, safe='')}/versions/{quote(version_id, safe='')}"
