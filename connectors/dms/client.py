"""The DMS adapter: documents, their version series and content over the DMS's REST API.

Batch reads are one request per 100 keys: `ids=` for documents, `refs=type:id` for the
documents of several cases at once, `document_ids=` for versions. Downloads stream the body
and stop at `max_download_bytes`.
"""

from collections.abc import Sequence
from urllib.parse import quote

import httpx

from connectors.base.errors import UpstreamBadResponse
from connectors.base.guard import Guard
from connectors.base.http import HttpLimits, raise_for_status, upstream_errors
from connectors.base.observed import OPERATION
from connectors.base.ports import ListFilter
from connectors.base.records import CaseRef, Document, DocumentVersion, DownloadedContent, System
from connectors.base.rest import MAX_BATCH, RestAdapter, collect_pages, filter_params, grouped
from connectors.dms import mapping

CONTENT = "GET /api/documents/{document_id}/versions/{version_id}/content"
RENDITION = "GET /api/documents/{document_id}/versions/{version_id}/renditions/{kind}"
DMS_RENDITIONS = {kind: name for name, kind in mapping.RENDITION_KINDS.items()}


def reference(subject: CaseRef) -> str:
    """A case as the DMS's `refs=` names it: `order:10000002`."""
    return f"{subject.type.lower()}:{subject.id}"


class DmsAdapter(RestAdapter):
    """`DocumentPort` for the DMS."""

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
        refs = [reference(subject) for subject in subjects]
        found = await self._rest.get_batched("/api/documents", "refs", refs, mapping.documents)
        distinct = list({document.id: document for document in found}.values())
        return [[d for d in distinct if subject in d.subjects] for subject in subjects]

    async def versions_of(self, document_ids: Sequence[str]) -> list[list[DocumentVersion]]:
        """Newest first, in the DMS's own order (CMIS `getAllVersions`)."""
        found = await self._rest.get_batched(
            "/api/documents/versions", "document_ids", document_ids, mapping.versions
        )
        return grouped(found, lambda version: version.document_id, document_ids)

    async def download(self, document_id: str, version_id: str) -> DownloadedContent | None:
        path = f"{version_path(document_id, version_id)}/content"
        return await self._rest.guard.read(lambda: self._download(path, CONTENT, version_id))

    async def rendition(
        self, document_id: str, version_id: str, kind: str
    ) -> DownloadedContent | None:
        name = DMS_RENDITIONS.get(kind)
        if name is None:
            return None
        path = f"{version_path(document_id, version_id)}/renditions/{name}"
        return await self._rest.guard.read(lambda: self._download(path, RENDITION, name))

    async def _download(
        self, path: str, operation: str, fallback_name: str
    ) -> DownloadedContent | None:
        async with (
            upstream_errors(System.DMS),
            self._rest.http.stream("GET", path, extensions={OPERATION: operation}) as response,
        ):
            if response.status_code == 404:
                return None
            raise_for_status(System.DMS, response)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_download_bytes:
                    raise UpstreamBadResponse(
                        System.DMS, f"content of {path} exceeds {self._max_download_bytes} bytes"
                    )
                chunks.append(chunk)
        return mapping.downloaded(
            b"".join(chunks),
            response.headers.get("Content-Type"),
            response.headers.get("Content-Disposition"),
            fallback_name=fallback_name,
        )


def version_path(document_id: str, version_id: str) -> str:
    return f"/api/documents/{quote(document_id, safe='')}/versions/{quote(version_id, safe='')}"
