"""A request body size limit, enforced before anything reads the body."""

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answer 413 to a body larger than `max_bytes`, declared or streamed; a multipart body
    (file uploads) to `upload_path` may be `upload_bytes` larger.

    Example:
        Middleware(BodySizeLimit, max_bytes=1_000_000, upload_bytes=2**25, upload_path="/graphql")
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, upload_bytes: int = 0, upload_path: str | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes
        self.upload_path = upload_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.max_bytes
        content_type = headers.get("content-type", "").lower()
        if scope["path"] == self.upload_path and content_type.startswith("multipart/form-data"):
            limit += self.upload_bytes
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, limit)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await self._reject(scope, receive, send, limit)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = JSONResponse(
            {
                "errors": [
                    {
                        "message": f"The request body is larger than {limit} bytes.",
                        "extensions": {"code": "REQUEST_TOO_LARGE", "limit": limit},
                    }
                ]
            },
            status_code=413,
        )
        await response(scope, receive, send)
