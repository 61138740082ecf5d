"""Document downloads behind signed links: the bytes are streamed from the DMS by the
gateway, after the link's signature, expiry and organization are checked again. Links to
files the gateway derives itself (`resolvers.derived_files`) go to their own handlers."""

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.base.errors import UpstreamError
from connectors.base.ports import DocumentPort
from resolvers.derived_files import DerivedGrant, derived_grant
from resolvers.downloads import DownloadLinks

DerivedFile = Callable[[DerivedGrant], Awaitable[Response]]


def not_found() -> Response:
    return JSONResponse({"error": "not_found", "message": "This link is invalid or expired."}, 404)


def upstream_unavailable(error: UpstreamError) -> Response:
    return JSONResponse({"error": "upstream_unavailable", "system": error.system.value}, 503)


def file_response(
    content: bytes, media_type: str, filename: str, disposition: str = "attachment"
) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def download_endpoint(
    services: Callable[[], tuple[DownloadLinks, DocumentPort]],
    derived: Mapping[str, DerivedFile] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        links, documents = services()
        grant = links.verify(request.path_params["token"], request.path_params["signature"])
        if grant is None:
            return not_found()
        derived_file = derived_grant(grant)
        if derived_file is not None:
            handler = (derived or {}).get(derived_file.kind)
            return await handler(derived_file) if handler is not None else not_found()
        try:
            [document] = await documents.get_documents([grant.document_id])
            if document is None or document.customer != grant.tenant:
                return not_found()
            content = await documents.download(grant.document_id, grant.version_id)
        except UpstreamError as error:
            return upstream_unavailable(error)
        if content is None:
            return not_found()
        return file_response(content.content, content.mime_type, content.filename)

    return download
