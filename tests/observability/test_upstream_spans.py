"""The client span of an upstream GET sent straight on aiohttp (`connectors.base.direct`) is
the span the same GET gets through httpx's client (`ObservedTransport`): the same name, kind,
attributes, status, recorded error and parent."""

import contextlib
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from connectors.base.errors import UpstreamError
from connectors.base.http import UpstreamClient, create_client
from connectors.base.records import System
from connectors.base.soap import SoapService
from connectors.erp.client import BINDING, WSDL_PATH
from sandbox.server import bind
from tests.both_ways import outcomes, rest_clients
from tests.rest_fixtures import CRM_TOKEN, TEST_LIMITS, SandboxControl
from tests.soap_canned import Canned

tracer = trace.get_tracer(__name__)
PARAMS: dict[str, str | int] = {"company_id": "0000100001", "per_page": 5}


def described(span: ReadableSpan) -> dict[str, Any]:
    """What a span says, without its IDs, times and stack traces."""
    return {
        "name": span.name,
        "kind": span.kind,
        "attributes": dict(span.attributes or {}),
        "status": (span.status.status_code, span.status.description),
        "events": [
            (
                event.name,
                {k: v for k, v in (event.attributes or {}).items() if k != "exception.stacktrace"},
            )
            for event in span.events
        ],
    }


async def client_spans(
    spans: InMemorySpanExporter, url: str, path: str, operation: str | None
) -> dict[str, list[dict[str, Any]]]:
    """Each way's client spans for one GET, made inside a parent span whose child each is."""
    found: dict[str, list[dict[str, Any]]] = {}
    for way, client in rest_clients(url, TEST_LIMITS, System.CRM, CRM_TOKEN).items():
        spans.clear()
        with tracer.start_as_current_span("parent") as parent:
            await outcomes({way: client}, lambda c: c.get(path, PARAMS, operation=operation))
        children = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
        assert all(s.parent is not None for s in children)
        assert {s.parent.span_id for s in children if s.parent} == {
            parent.get_span_context().span_id
        }
        found[way] = [described(s) for s in children]
    return found


@pytest.mark.parametrize(
    ("path", "operation", "fault", "status"),
    [
        ("/api/v1/tickets", None, "ok", 200),
        ("/api/v1/tickets/TCK-NONE", "GET /api/v1/tickets/{ticket_id}", "ok", 404),
        ("/api/v1/tickets", None, "down", 503),
    ],
)
async def test_an_answered_get_is_traced_alike(
    spans: InMemorySpanExporter,
    crm_url: str,
    crm_control: SandboxControl,
    path: str,
    operation: str | None,
    fault: str,
    status: int,
) -> None:
    await crm_control.set_faults(mode=fault)
    found = await client_spans(spans, crm_url, path, operation)
    assert found["direct"] == found["httpx"]
    [span] = found["direct"]  # the guard does not retry a 404 and retries no more than once
    assert span["name"] == f"crm {operation or 'GET ' + path}"
    assert span["attributes"]["http.response.status_code"] == status
    assert span["attributes"]["url.path"] == path


async def test_a_refused_get_is_traced_alike(spans: InMemorySpanExporter) -> None:
    closed = bind()
    port = closed.getsockname()[1]
    closed.close()  # nobody listens there now
    found = await client_spans(spans, f"http://127.0.0.1:{port}", "/api/v1/tickets", None)
    assert found["direct"] == found["httpx"]
    [span] = found["direct"]
    assert [name for name, _ in span["events"]] == ["exception"]
    assert span["events"][0][1]["exception.type"] == "httpx.ConnectError"


@pytest.mark.parametrize("status", [200, 500])
async def test_a_written_soap_request_is_traced_alike(
    spans: InMemorySpanExporter, canned: tuple[Canned, str], status: int
) -> None:
    """Sent straight or through zeep's transport: one span named by the SOAP operation its
    SOAPAction names, a child of the caller's, with the same attributes and status."""
    answer, url = canned
    answer.reset()
    answer.status = status
    answer.body = b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/>'
    answer.body += b"</s:Envelope>"
    found: dict[str, list[dict[str, Any]]] = {}
    for way in ("direct", "httpx"):
        http = create_client("", TEST_LIMITS, System.ERP)
        assert isinstance(http, UpstreamClient)
        if way == "httpx":
            http.direct = None
        service = SoapService.create(System.ERP, WSDL_PATH, BINDING, url, http)
        spans.clear()
        with tracer.start_as_current_span("parent"), contextlib.suppress(UpstreamError):
            await service.call("GetOrders", OrderId=["1"])
        await service.aclose()
        children = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
        assert all(s.parent is not None for s in children)
        found[way] = [described(s) for s in children]
    assert found["direct"] == found["httpx"]
    [span] = found["direct"]
    assert span["name"] == "erp GetOrders"
    assert span["attributes"]["http.response.status_code"] == status
    assert span["attributes"]["url.path"] == "/erp"
