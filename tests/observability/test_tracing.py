"""One dashboard query as a trace: the client's span → the gateway's server span → the
operation → one span per loader batch → one span per upstream call, each of which the upstream
system received as its W3C `traceparent`."""

import time
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from sandbox.server import Sandbox
from tests.e2e.test_batching_and_cache import DASHBOARD, EXPECTED_DASHBOARD_REQUESTS
from tests.stack import UPSTREAMS, GraphQLClient, Tokens, Upstream

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
DEADLINE_S = 5.0


def trace_spans(exporter: InMemorySpanExporter, trace_id: str) -> Sequence[ReadableSpan]:
    """The trace's finished spans once its server span has ended (it ends after the response
    is sent, so it is waited for, with a deadline)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        spans = [
            span
            for span in exporter.get_finished_spans()
            if span.context is not None and format_trace_id(span.context.trace_id) == trace_id
        ]
        if any(span.kind is SpanKind.SERVER for span in spans):
            return spans
        assert time.monotonic() < deadline, "the server span did not end"
        time.sleep(0.01)


def span_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return format_span_id(span.context.span_id)


def parent_id(span: ReadableSpan) -> str | None:
    return format_span_id(span.parent.span_id) if span.parent else None


async def test_dashboard_trace_reaches_every_upstream_call(
    sandbox: Sandbox,
    upstream: Upstream,
    fresh_gateway_url: str,
    tokens: Tokens,
    spans: InMemorySpanExporter,
) -> None:
    client = GraphQLClient(fresh_gateway_url, await tokens("anna"))
    response = await client.post(DASHBOARD, traceparent=TRACEPARENT)
    await client.aclose()
    assert response.status_code == 200
    assert "errors" not in response.json()

    found = trace_spans(spans, CLIENT_TRACE)
    [server] = [s for s in found if s.kind is SpanKind.SERVER]
    assert server.name == "POST /graphql"
    assert parent_id(server) == CLIENT_SPAN
    [operation] = [s for s in found if s.name == "graphql query Dashboard"]
    assert parent_id(operation) == span_id(server)
    batches = {span_id(s): s for s in found if s.name.startswith("load ")}
    assert {parent_id(s) for s in batches.values()} == {span_id(operation)}
    calls = [s for s in found if s.kind is SpanKind.CLIENT]
    assert all(parent_id(call) in batches for call in calls)

    by_system: dict[str, dict[str, int]] = {}
    for call in calls:
        assert call.attributes is not None
        system, operation_name = str(call.attributes["peer.service"]), call.name.split(" ", 1)[1]
        counts = by_system.setdefault(system, {})
        counts[operation_name] = counts.get(operation_name, 0) + 1
    assert by_system == EXPECTED_DASHBOARD_REQUESTS

    call_ids = {span_id(call): call.name for call in calls}
    received = []
    for system in UPSTREAMS:
        received += [(system, entry) for entry in upstream.traceparents(system)]
    assert len(received) == len(calls)
    for system, entry in received:
        version, trace_id, parent, _flags = entry["traceparent"].split("-")
        assert (version, trace_id) == ("00", CLIENT_TRACE)
        assert call_ids[parent] == f"{system} {entry['operation']}"


async def test_errors_carry_the_trace_id(
    fresh_gateway_url: str, tokens: Tokens, spans: InMemorySpanExporter
) -> None:
    client = GraphQLClient(fresh_gateway_url, await tokens("anna"))
    unknown = 'query Missing { order(id: "T3JkZXI6ZXJwOjk5OTk5OTk5") { number } }'
    with_parent = (await client.post(unknown, traceparent=TRACEPARENT)).json()
    without = (await client.post(unknown)).json()
    await client.aclose()

    assert with_parent["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert with_parent["errors"][0]["extensions"]["traceId"] == CLIENT_TRACE
    own_trace = without["errors"][0]["extensions"]["traceId"]
    assert len(own_trace) == 32
    assert own_trace != CLIENT_TRACE
    assert trace_spans(spans, own_trace)
