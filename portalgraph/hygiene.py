"""Web hygiene middlewares: security headers on every answer and CSRF protection for the
GraphQL endpoint (each request's ID is `portalgraph.access`'s).

CSRF: a browser sends a cross-site request without a CORS preflight only when it is "simple"
(GET, or POST with a form or text content type, and no custom headers). The GraphQL endpoint
refuses such a request unless it carries a header no simple request can have, as Apollo
Server's CSRF prevention does; JSON POSTs and requests with `Authorization` always pass.
"""

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
PREFLIGHT_HEADERS = ("authorization", "graphql-require-preflight", "apollo-require-preflight",
                     "x-apollo-operation-name", "x-requested-with")  # fmt: skip
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
"""For API answers; the demo's GraphiQL page (HTML) keeps only `frame-ancestors`."""


class SecurityHeaders:
    """Add `SECURITY_HEADERS`, a content security policy and `Cache-Control: no-store`.

    Example:
        Middleware(SecurityHeaders)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_missing(MutableHeaders(scope=message).raw)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


_ALWAYS = _encoded(SECURITY_HEADERS)
_FOR_HTML = _encoded(
    {"Content-Security-Policy": "frame-ancestors 'none'", "Cache-Control": "no-store"}
)
_FOR_API = _encoded({"Content-Security-Policy": API_CSP, "Cache-Control": "no-store"})


def add_missing(raw: list[tuple[bytes, bytes]]) -> None:
    """Append each of `SECURITY_HEADERS`, the policy and `Cache-Control` that the answer's
    raw headers do not name (as `MutableHeaders.setdefault` would, each encoded once here)."""
    present = {name for name, _ in raw}
    content_type = next((value for name, value in raw if name == b"content-type"), b"")
    policy = _FOR_HTML if content_type.startswith(b"text/html") else _FOR_API
    for name, value in (*_ALWAYS, *policy):
        if name not in present:
            raw.append((name, value))
            present.add(name)


class CsrfGuard:
    """Refuse GraphQL requests a browser could send cross-site without a preflight.

    Example:
        Middleware(CsrfGuard, path="/graphql")
    """

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path and self._unsafe(scope):
            response = JSONResponse(
                {
                    "errors": [
                        {
                            "message": (
                                "This request could come from another site: send JSON "
                                "(Content-Type: application/json) or the header "
                                "GraphQL-Require-Preflight: 1."
                            ),
                            "extensions": {"code": "CSRF_SUSPECTED"},
                        }
                    ]
                },
                status_code=400,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _unsafe(scope: Scope) -> bool:
        headers = Headers(scope=scope)
        if any(name in headers for name in PREFLIGHT_HEADERS):
            return False
        if scope["method"] == "GET":
            return bool(scope.get("query_string"))  # a query; the bare page is GraphiQL
        if scope["method"] == "POST":
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            return not content_type or content_type in SIMPLE_CONTENT_TYPES
        return False
