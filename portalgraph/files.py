"""Document downloads behind signed links: the bytes are streamed from the DMS by the
gateway, after the link's signature, expiry and organization are checked again."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.base.errors import UpstreamError
from connectors.base.ports import DocumentPort
from resolvers.downloads import DownloadLinks


def not_found() -> Response:
    return JSONResponse({"error": "not_found", "message": "This link is invalid or expired."}, 404)


def download_endpoint(
    services: Callable[[], tuple[DownloadLinks, DocumentPort]],
) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        links, documents = services()
        grant = links.verify(request.path_params["token"], request.path_params["signature"])
        if grant is None:
            return not_found()
        try:
            [document] = await documents.get_documents([grant.document_id])
            if document is None or document.customer != grant.tenant:
                return not_found()
            content = await documents.download(grant.document_id, grant.version_id)
        except UpstreamError as error:
            return JSONResponse(
                {"error": "upstream_unavailable", "system": error.system.value}, 503
            )
        if content is None:
            return not_found()
        return Response(
            content.content,
            media_type=content.mime_type,
            headers={
                "Content-Disposition": f'attachment; filename="{content.filename}"',
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return download
