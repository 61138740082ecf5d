"""Thumbnails and preview images of document versions: the DMS's own where it has them ready,
otherwise rendered on demand by the gateway (`infra.rendering`: first page or image, bounded
in time, memory, pages and pixels) and kept in the cache under the version's content hash,
so that every replica reuses one render and nothing is stored anywhere else.

A query waits for a render at most `wait_s`; a slower one answers PENDING while the render
goes on in the background and fills the cache. A file that cannot be rendered is UNAVAILABLE
(the failure is cached for an hour), and the portal shows `fallbackIcon` instead.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from connectors.base import records as r
from connectors.base.errors import UpstreamError
from connectors.base.ports import DocumentPort
from connectors.base.reads import untracked
from infra.cache import Cache
from infra.rendering import Renderer, RenderFailed, read_input

log = logging.getLogger("portalgraph.renditions")

THUMBNAIL, PREVIEW_IMAGE, PREVIEW_PDF = "THUMBNAIL", "PREVIEW_IMAGE", "PREVIEW_PDF"
SIDES = {THUMBNAIL: 256, PREVIEW_IMAGE: 1024}
"""The gateway's renders: the longer side in pixels."""
KINDS = (*SIDES, PREVIEW_PDF)
READY, PENDING, UNAVAILABLE = "READY", "PENDING", "UNAVAILABLE"
PNG = "image/png"
FAILURE_TTL_S = 3600.0
_MADE, _REFUSED = b"R", b"U"
"""The first byte of a cached render: the PNG follows, or the reason it was refused."""

ICONS = (
    ("application/pdf", "pdf"),
    ("image/vnd.dwg", "cad"),
    ("image/vnd.dxf", "cad"),
    ("image/", "image"),
    ("application/xml", "code"),
    ("text/xml", "code"),
    ("text/", "text"),
    ("application/vnd.ms-excel", "spreadsheet"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml", "spreadsheet"),
    ("application/msword", "text"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml", "text"),
    ("application/zip", "archive"),
)


def fallback_icon(mime_type: str) -> str:
    """A generic icon for the format: pdf, image, cad, code, text, spreadsheet, archive, file."""
    return next((icon for prefix, icon in ICONS if mime_type.startswith(prefix)), "file")


def upstream_rendition(version: r.DocumentVersion, kind: str) -> r.Rendition | None:
    return next((found for found in version.renditions if found.kind == kind), None)


class Renditions:
    """The gateway's own renders: one per content hash and kind at a time in this replica, their
    results in the shared cache; the app's lifespan owns it."""

    def __init__(
        self,
        documents: DocumentPort,
        cache: Cache,
        renderer: Renderer,
        ttl_s: float,
        wait_s: float,
    ) -> None:
        self.documents = documents
        self._cache = cache
        self._renderer = renderer
        self._ttl_s = ttl_s
        self._wait_s = wait_s
        self._renders: dict[str, asyncio.Task[bytes | None]] = {}

    def renders(self, version: r.DocumentVersion) -> bool:
        """Whether the gateway can render this version itself."""
        limits = self._renderer.limits
        return self._renderer.supports(version.mime_type) and version.size <= limits.max_bytes

    async def status(self, document: r.Document, version: r.DocumentVersion, kind: str) -> str:
        """READY or UNAVAILABLE from the cache or a render finished within `wait_s`, else
        PENDING (the render goes on)."""
        cached = await self._cached(version, kind)
        if cached is not None:
            return READY if cached.startswith(_MADE) else UNAVAILABLE
        render = self._render(document, version, kind)
        try:
            made = await asyncio.wait_for(asyncio.shield(render), self._wait_s)
        except TimeoutError:
            return PENDING
        return READY if made is not None else UNAVAILABLE

    async def image(
        self, document: r.Document, version: r.DocumentVersion, kind: str
    ) -> bytes | None:
        """The PNG from the cache, or rendered now (bounded by the render's own timeout)."""
        cached = await self._cached(version, kind)
        if cached is not None:
            return cached[1:] if cached.startswith(_MADE) else None
        return await asyncio.shield(self._render(document, version, kind))

    async def aclose(self) -> None:
        renders = list(self._renders.values())
        for render in renders:
            render.cancel()
        await asyncio.gather(*renders, return_exceptions=True)

    @staticmethod
    def _key(version: r.DocumentVersion, kind: str) -> str:
        return f"rendition:{kind.lower()}:{version.content_hash}"

    async def _cached(self, version: r.DocumentVersion, kind: str) -> bytes | None:
        [found] = await self._cache.get_many([self._key(version, kind)])
        return found

    def _render(
        self, document: r.Document, version: r.DocumentVersion, kind: str
    ) -> "asyncio.Task[bytes | None]":
        key = self._key(version, kind)
        render = self._renders.get(key)
        if render is None:
            render = asyncio.create_task(self._make(key, document, version, kind))
            self._renders[key] = render
            render.add_done_callback(lambda _: self._renders.pop(key, None))
        return render

    async def _make(
        self, key: str, document: r.Document, version: r.DocumentVersion, kind: str
    ) -> bytes | None:
        try:
            async with self.documents.download(document.id, version.id) as found:
                if found is None:
                    return None
                content = await read_input(found.chunks, self._renderer.limits.max_bytes)
            made = await self._renderer.render(content, version.mime_type, SIDES[kind])
        except UpstreamError as error:  # not cached: the next request tries again
            log.warning("rendition of %s: the DMS failed: %s", version.id, error)
            return None
        except RenderFailed as failure:
            log.info("rendition of %s (%s) refused: %s", version.id, version.mime_type, failure)
            await self._cache.set_many({key: _REFUSED + str(failure).encode()}, FAILURE_TTL_S)
            return None
        await self._cache.set_many({key: _MADE + made}, self._ttl_s)
        return made


@dataclass(frozen=True)
class RenditionView:
    kind: str
    status: str
    mime_type: str | None
    served: bool
    """Whether the gateway serves it (a signed link): the DMS's ready one or its own render."""


async def views(
    renditions: Renditions, document: r.Document, version: r.DocumentVersion
) -> list[RenditionView]:
    """The thumbnail and the preview image, then the DMS's preview PDF where it lists one."""

    async def image(kind: str) -> RenditionView:
        upstream = upstream_rendition(version, kind)
        if upstream is not None and upstream.status == READY:
            return RenditionView(kind, READY, upstream.mime_type, served=True)
        if renditions.renders(version):
            untracked("the gateway's renditions")
            status = await renditions.status(document, version, kind)
            return RenditionView(kind, status, PNG, served=status == READY)
        status = PENDING if upstream is not None and upstream.status == PENDING else UNAVAILABLE
        return RenditionView(kind, status, None, served=False)

    found = list(await asyncio.gather(*(image(kind) for kind in SIDES)))
    pdf = upstream_rendition(version, PREVIEW_PDF)
    if pdf is not None:
        found.append(RenditionView(PREVIEW_PDF, pdf.status, pdf.mime_type, pdf.status == READY))
    return found


@asynccontextmanager
async def content(
    renditions: Renditions, document: r.Document, version: r.DocumentVersion, kind: str
) -> AsyncIterator[r.DownloadedContent | None]:
    """A rendition's bytes while the block runs: the DMS's own (streamed) when it lists it
    ready, else the gateway's render."""
    upstream = upstream_rendition(version, kind)
    if upstream is not None and upstream.status == READY:
        async with renditions.documents.rendition(document.id, version.id, kind) as found:
            yield found
        return
    renders = kind in SIDES and renditions.renders(version)
    made = await renditions.image(document, version, kind) if renders else None
    if made is None:
        yield None
        return
    yield r.DownloadedContent(one_chunk(made), PNG, f"{kind.lower()}-{version.id}.png")


async def one_chunk(content: bytes) -> AsyncIterator[bytes]:
    yield content
