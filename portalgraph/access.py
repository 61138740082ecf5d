"""Around each request: its ID (the caller's `X-Request-ID` if well-formed, else a new one) in
`scope["state"]["request_id"]` and echoed in the answer's header; and around each HTTP
request, a server span that continues the client's W3C `traceparent`, a tally of what it
caused, and one access log line when it ends. One middleware, so one wrapper of `send`.

Probe and scrape endpoints (`quiet_paths`) get neither span nor log line. Paths are logged as
their route template, so a signed download link never reaches the log.
"""

import logging
import re
import time
import uuid
from collections.abc import Collection
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.tally import close_tally, open_tally

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

log = logging.getLogger("portalgraph.access")
tracer = trace.get_tracer(__name__)


def route_of(scope: Scope) -> str:
    """The request's path with its path parameters as `{name}` (after routing)."""
    path: str = scope["path"]
    for name, value in scope.get("path_params", {}).items():
        path = path.replace(str(value), "{" + name + "}")
    return path


class AccessLog:
    """The request's ID, and for HTTP outside `quiet_paths` its span, tally and log line.

    Example:
        Middleware(AccessLog, quiet_paths=("/healthz",))
    """

    def __init__(self, app: ASGIApp, quiet_paths: Collection[str] = ()) -> None:
        self.app = app
        self.quiet_paths = frozenset(quiet_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get(REQUEST_ID_HEADER)
        request_id = given if given and _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        if scope["type"] != "http" or scope["path"] in self.quiet_paths:
            await self.app(scope, receive, send_noting_status)
            return
        tally, token = open_tally(request_id)
        started = time.perf_counter()

        try:
            with tracer.start_as_current_span(
                f"{scope['method']} {scope['path']}",
                context=propagate.extract(headers),
                kind=SpanKind.SERVER,
                attributes={"http.request.method": scope["method"]},
            ) as span:
                try:
                    await self.app(scope, receive, send_noting_status)
                finally:
                    route = route_of(scope)
                    span.update_name(f"{scope['method']} {route}")
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
                    fields: dict[str, Any] = {
                        "method": scope["method"],
                        "path": route,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "operation": tally.operation,
                        "operation_type": tally.operation_type,
                        "upstream_calls": tally.upstream_calls,
                        "cache_hits": tally.cache_hits,
                        "cache_misses": tally.cache_misses,
                    }
                    log.info("%s %s %s", scope["method"], route, status, extra=fields)
        finally:
            close_tally(token)
