"""Every request to an upstream system, observed in one place (`UpstreamCall`): it times the
request, counts it by system, operation and outcome (`infra.metrics`) and in the current
request's tally, and sends it inside a client span whose W3C `traceparent` it injects into the
request headers, so upstream systems continue the trace. Two senders observe through it: the
httpx transport of the system's client (`ObservedTransport`; zeep sends SOAP requests over
the same httpx client) and the REST and written SOAP requests sent straight on aiohttp
(`connectors.base.direct`).

The operation is `request.extensions["operation"]` when the caller names it (a route template
for paths with IDs), else the SOAP operation from the `SOAPAction` header, else
`METHOD /path`.
"""

import time
from collections.abc import MutableMapping
from contextlib import AbstractContextManager
from types import TracebackType

import httpx
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

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
        return soap_operation(action)
    return f"{request.method} {request.url.path}"


def soap_operation(action: str) -> str:
    """The operation a (non-empty) `SOAPAction` header names: its last path segment."""
    return action.strip('"').rpartition("/")[2]


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    return "client_error" if status < 500 and status != 429 else "server_error"


class UpstreamCall:
    """One request to an upstream, from its sending to its answer's headers (its body is read
    after): `with UpstreamCall(...) as call:` send, then `call.answered(status)`. A request
    that fails with an httpx error in the block counts as `timeout` or `transport_error`; the
    span records any error."""

    def __init__(
        self,
        system: str,
        operation: str,
        method: str,
        path: str,
        headers: MutableMapping[str, str],
    ) -> None:
        self._system = system
        self._operation = operation
        self._span_context: AbstractContextManager[Span] = tracer.start_as_current_span(
            f"{system} {operation}",
            kind=SpanKind.CLIENT,
            attributes={
                "peer.service": system,
                "portalgraph.upstream.operation": operation,
                "http.request.method": method,
                "url.path": path,
            },
        )
        self._headers = headers
        self._started = 0.0

    def __enter__(self) -> "UpstreamCall":
        tally_upstream_call()
        self._span = self._span_context.__enter__()
        propagate.inject(self._headers)
        self._started = time.perf_counter()
        return self

    def answered(self, status: int) -> None:
        outcome = outcome_of(status)
        self._observe(outcome)
        self._span.set_attribute("http.response.status_code", status)
        if outcome == "server_error":
            self._span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(error, httpx.TimeoutException):
            self._observe("timeout")
        elif isinstance(error, httpx.HTTPError):
            self._observe("transport_error")
        self._span_context.__exit__(kind, error, traceback)

    def _observe(self, outcome: str) -> None:
        seconds = time.perf_counter() - self._started
        observe_upstream(self._system, self._operation, outcome, seconds)


class ObservedTransport(httpx.AsyncBaseTransport):
    """Wraps the transport of one upstream system's client."""

    def __init__(self, inner: httpx.AsyncBaseTransport, system: System) -> None:
        self._inner = inner
        self._system = system.value

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        call = UpstreamCall(
            self._system, operation_of(request), request.method, path, request.headers
        )
        with call:
            response = await self._inner.handle_async_request(request)
            call.answered(response.status_code)
            return response

    async def aclose(self) -> None:
        await self._inner.aclose()
