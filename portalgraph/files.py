"""Document downloads behind signed links: the bytes are streamed from the DMS through the
gateway chunk by chunk (never whole in memory), after the link's signature and expiry are
checked, and after the caller proves to be the user the link was minted for (the same user's
bearer token), still allowed to act for the link's organization and to read the document's
audience.

Every refusal but a missing token answers the same 404, so a link reveals nothing about why
it does not work. Browsers fetch a link with the token (`fetch` with `Authorization`) and
show the result through an object URL (`<img src="blob:...">`), as they do for any API call:
a bearer token never travels in a URL.
"""

import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from auth.policy import OrganizationNotAllowed, act_for, may_read_document
from connectors.base.errors import UpstreamError
from connectors.base.ports import DocumentPort
from portalgraph.view import principal_of
from resolvers.downloads import DownloadLinks


def not_found() -> Response:
    return JSONResponse({"error": "not_found", "message": "This link is invalid or expired."}, 404)


def unauthenticated() -> Response:
    return JSONResponse(
        {
            "error": "unauthenticated",
            "message": "A download link works only with the bearer token of the user it was "
            "made for.",
        },
        401,
        headers={"WWW-Authenticate": 'Bearer realm="files"'},
    )


def attachment(filename: str) -> str:
    """RFC 6266: an ASCII fallback name plus the exact UTF-8 name (an uploaded file's name
    may be in any script)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = "".join(ch for ch in ascii_name if ch.isprintable() and ch not in '"\\')
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_endpoint(
    services: Callable[[], tuple[DownloadLinks, DocumentPort]],
) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return unauthenticated()
        links, documents = services()
        grant = links.verify(request.path_params["token"], request.path_params["signature"])
        if grant is None or grant.subject != principal.subject:
            return not_found()
        try:
            acting = act_for(principal, grant.tenant)
        except OrganizationNotAllowed:
            return not_found()
        opened = AsyncExitStack()
        try:
            [document] = await documents.get_documents([grant.document_id])
            if (
                document is None
                or document.customer != grant.tenant
                or not may_read_document(acting, document.audience)
            ):
                return not_found()
            content = await opened.enter_async_context(
                documents.download(grant.document_id, grant.version_id)
            )
        except UpstreamError as error:
            return JSONResponse(
                {"error": "upstream_unavailable", "system": error.system.value}, 503
            )
        if content is None:
            await opened.aclose()
            return not_found()

        async def body() -> AsyncIterator[bytes]:
            async with opened:
                async for chunk in content.chunks:
                    yield chunk

        return StreamingResponse(
            body(),
            media_type=content.mime_type,
            headers={
                "Content-Disposition": attachment(content.filename),
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return download
