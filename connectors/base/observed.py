"""Every request to an upstream system, observed in one place: the httpx transport of the
system's client. It times the request, counts it by system, operation and outcome
(`infra.metrics`) and in the current request's tally, and sends it inside a client span whose
W3C `traceparent` it injects into the request headers, so upstream systems continue the trace.
SOAP goes through it too: zeep sends over the same httpx client.

The operation is `request.extensions["operation"]` when the caller names it (a route template
for paths with IDs), else the SOAP operation from the `SOAPAction` header, else
`METHOD /path`.
"""

import time

import httpx
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from connectors.base.records import System
from infra.metrics import observe_upstream
from infra.tally import tally_upstream_call

OPERATION = "operation"
"""The request extension that names the operation (a route template), when its path has IDs."""

tracer = trace.get_tracer(__name__)


def operation_of(request: httpx.Request) -> str:
    named = request.extensions.get(OPERATION)
    if isinstance(named, str):
        return named
    action: str | None = request.headers.get("SOAPAction")
    if action:
        return action.strip('"').rpartition("/")[2]
    return f"{request.method} {request.url.path}"


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    return "client_error" if status < 500 and status != 429 else "server_error"


class ObservedTransport(httpx.AsyncBaseTransport):
    """Wraps the transport of one upstream system's client."""

    def __init__(self, inner: httpx.AsyncBaseTransport, system: System) -> None:
        self._inner = inner
        self._system = system.value

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        operation = operation_of(request)
        tally_upstream_call()
        with tracer.start_as_current_span(
            f"{self._system} {operation}",
            kind=SpanKind.CLIENT,
            attributes={
                "peer.service": self._system,
                "portalgraph.upstream.operation": operation,
                "http.request.method": request.method,
                "url.path": request.url.path,
            },
        ) as span:
            propagate.inject(request.headers)
            started = time.perf_counter()
            try:
                response = await self._inner.handle_async_request(request)
            except httpx.TimeoutException:
                self._observe(operation, "timeout", started)
                raise
            except httpx.HTTPError:
                self._observe(operation, "transport_error", started)
                raise
            outcome = outcome_of(response.status_code)
            self._observe(operation, outcome, started)
            span.set_attribute("http.response.status_code", response.status_code)
            if outcome == "server_error":
                span.set_status(Status(StatusCode.ERROR, f"HTTP {response.status_code}"))
            return response

    def _observe(self, operation: str, outcome: str, started: float) -> None:
        observe_upstream(self._system, operation, outcome, time.perf_counter() - started)

    async def aclose(self) -> None:
        await self._inner.aclose()
