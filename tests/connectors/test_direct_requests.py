"""REST requests sent straight on aiohttp (`connectors.base.direct`) against the same requests
through httpx's client (`UpstreamClient.direct` unset): the same request on the wire, the same
answers, the same upstream errors with the same messages, the same metrics and tally. Each test
sends the same requests both ways (`tests.both_ways`), over one `create_client` configuration,
to a real server."""

import gzip
import json
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer
from opentelemetry import context, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from prometheus_client import REGISTRY

from connectors.base.direct import query_items
from connectors.base.errors import Refusal, UpstreamRefused
from connectors.base.http import HttpLimits, UpstreamClient
from connectors.base.records import System
from connectors.base.rest import RestClient
from infra.tally import close_tally, open_tally
from sandbox.server import bind
from tests.both_ways import Way, outcomes, rest_clients
from tests.rest_fixtures import CRM_TOKEN, HANG_LIMITS, TEST_LIMITS, SandboxControl

CAP = 4096
LIMITS = HttpLimits(max_body_bytes=CAP)
TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C


async def echo(request: web.Request) -> web.Response:
    """The request as the server read it: method, raw target, raw headers in order."""
    headers = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.raw_headers]
    body = (await request.read()).decode("utf-8")
    return web.json_response(
        {"method": request.method, "target": request.raw_path, "headers": headers, "body": body}
    )


async def status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    return web.json_response({"code": code}, status=code, headers={"Retry-After": "7"})


async def not_json(_: web.Request) -> web.Response:
    return web.Response(body=b"<html>oops</html>", content_type="text/html")


async def declared_huge(_: web.Request) -> web.Response:
    return web.Response(body=b"x" * (CAP + 1), content_type="application/json")


async def streamed_huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()  # chunked: no Content-Length to refuse it by
    await response.prepare(request)
    for _ in range(3):
        await response.write(b" " * (CAP // 2))
    await response.write_eof()
    return response


async def gzipped(_: web.Request) -> web.Response:
    body = gzip.compress(b'{"packed": "\xc3\xa4"}')
    return web.Response(body=body, headers={"Content-Encoding": "gzip"})


async def bad_gzip(_: web.Request) -> web.Response:
    return web.Response(body=b"not gzip at all", headers={"Content-Encoding": "gzip"})


@pytest.fixture
async def server() -> AsyncIterator[BaseTestServer]:
    app = web.Application()
    app.router.add_route("*", "/status/{code}", status)
    app.router.add_get("/not-json", not_json)
    app.router.add_get("/declared-huge", declared_huge)
    app.router.add_get("/streamed-huge", streamed_huge)
    app.router.add_get("/gzipped", gzipped)
    app.router.add_get("/bad-gzip", bad_gzip)
    app.router.add_route("*", "/{rest:.*}", echo)
    async with TestServer(app, host="127.0.0.1") as running:
        yield running


def base(server: BaseTestServer, prefix: str = "") -> str:
    return str(server.make_url(prefix))


REQUESTS: list[tuple[str, Mapping[str, object] | None, bool]] = [
    # path, parameters, sent straight (else through httpx)
    ("/api/plain", None, True),
    ("/api/plain", {}, True),
    ("/api/ids/TCK%2F1/messages", {"page": 2, "per_page": 100}, True),
    ("/api/batch", {"ids": "TCK-1,TCK-2,TCK-3", "empty": ""}, True),
    ("/api/odd", {"q": "Zürich straße & co=1+2 ~x/y?z#%", "ä": "€"}, True),
    ("/api/repeated", {"status": ["new", "open"], "n": (1, 2)}, True),
    ("/api/v1.2/x.y_z-~", None, True),
    ("/api/flags", {"flag": True}, False),
    ("/api/none", {"none": None}, False),
    ("/api/a/./b/../c", None, False),
    ("/api/sp ace/ü", None, False),
    ("/api//double", None, False),
    ("/api/trailing/", None, False),
    ("/api/query?in=path", None, False),
    ("/api/bad%zzescape", None, False),
]


@pytest.mark.parametrize(("path", "params", "straight"), REQUESTS)
@pytest.mark.parametrize("prefix", ["", "/prefix", "/prefix/"])
async def test_the_upstream_receives_the_same_request(
    server: BaseTestServer,
    path: str,
    params: Mapping[str, object] | None,
    straight: bool,
    prefix: str,
) -> None:
    rest = rest_clients(base(server, prefix), LIMITS)
    direct = rest["direct"].http
    assert isinstance(direct, UpstreamClient)
    assert direct.direct is not None
    assert (direct.direct.prepare("GET", path, params) is not None) == straight
    seen = await outcomes(rest, lambda client: client.get(path, params))  # type: ignore[arg-type]
    assert seen["direct"] == seen["httpx"]
    kind, answer, _ = seen["direct"]
    assert kind == "answer"
    assert answer["method"] == "GET"
    assert answer["headers"][0] == ["host", f"127.0.0.1:{server.port}"]
    assert ["authorization", "Bearer t0k3n"] in answer["headers"]


def test_parameters_are_listed_as_httpx_lists_them() -> None:
    assert query_items({"a": "x", "n": 1, "r": ["p", 2]}) == [
        ("a", "x"),
        ("n", "1"),
        ("r", "p"),
        ("r", "2"),
    ]
    assert query_items({"b": False}) is None
    assert query_items({"f": 1.5}) is None
    assert query_items({"l": ["x", None]}) is None


async def test_the_trace_continues_the_same_way(server: BaseTestServer) -> None:
    parent = SpanContext(TRACE_ID, 0x00F067AA0BA902B7, is_remote=True, trace_flags=TraceFlags(1))
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        seen = await outcomes(
            rest_clients(base(server), LIMITS, System.CRM),
            lambda client: client.get("/api/traced", {"page": 1}),
        )
    finally:
        context.detach(token)
    received = {way: dict(answer["headers"])["traceparent"] for way, (_, answer, _) in seen.items()}
    for traceparent in received.values():
        version, trace_id, _span_id, flags = traceparent.split("-")
        assert (version, int(trace_id, 16), flags) == ("00", TRACE_ID, "01")
    assert [k for k, _ in seen["direct"][1]["headers"]] == [
        k for k, _ in seen["httpx"][1]["headers"]
    ]


@pytest.mark.parametrize(
    ("path", "missing_ok", "expected"),
    [
        ("/status/404", True, ("answer", None)),
        ("/status/404", False, ("UpstreamRejected", "crm: HTTP 404 from GET /status/404")),
        ("/status/409", False, ("UpstreamRejected", "crm: HTTP 409 from GET /status/409")),
        ("/status/429", False, ("UpstreamUnavailable", "crm: HTTP 429 from GET /status/429")),
        ("/status/503", True, ("UpstreamUnavailable", "crm: HTTP 503 from GET /status/503")),
        ("/status/204", False, None),
        ("/not-json", False, ("UpstreamBadResponse", "crm: invalid JSON from /not-json")),
        ("/declared-huge", False, None),
        ("/streamed-huge", False, None),
        ("/gzipped", False, ("answer", {"packed": "ä"})),
        ("/bad-gzip", False, None),
    ],
)
async def test_answers_and_errors_are_the_same(
    server: BaseTestServer, path: str, missing_ok: bool, expected: tuple[str, Any] | None
) -> None:
    seen = await outcomes(
        rest_clients(base(server), LIMITS), lambda client: client.get(path, missing_ok=missing_ok)
    )
    assert seen["direct"] == seen["httpx"]
    if expected is not None:
        assert seen["direct"][:2] == expected
    if path in ("/status/429", "/status/503"):
        assert seen["direct"][2] == 7  # the answer's Retry-After


async def test_bodies_over_the_cap_are_refused_declared_and_streamed(
    server: BaseTestServer,
) -> None:
    declared = await outcomes(rest_clients(base(server), LIMITS), lambda c: c.get("/declared-huge"))
    streamed = await outcomes(rest_clients(base(server), LIMITS), lambda c: c.get("/streamed-huge"))
    unreadable = "crm: unreadable answer:"
    assert declared["direct"][:2] == (
        "UpstreamBadResponse",
        f"{unreadable} declared body of {CAP + 1} bytes exceeds {CAP}",
    )
    assert streamed["direct"][:2] == (
        "UpstreamBadResponse",
        f"{unreadable} body exceeds {CAP} bytes",
    )
    assert declared["httpx"] == declared["direct"]
    assert streamed["httpx"] == streamed["direct"]


async def test_a_refused_connection_and_a_hang_fail_alike(
    crm_url: str, crm_control: SandboxControl
) -> None:
    closed = bind()
    port = closed.getsockname()[1]
    closed.close()  # nobody listens there now
    refused = await outcomes(
        rest_clients(f"http://127.0.0.1:{port}", LIMITS),
        lambda client: client.get("/api/v1/tickets"),
    )
    assert refused["direct"] == refused["httpx"]
    assert refused["direct"][:2] == ("UpstreamUnavailable", "crm: transport error: ConnectError")
    await crm_control.set_faults(mode="hang")
    hung = await outcomes(
        rest_clients(crm_url, HANG_LIMITS), lambda client: client.get("/api/v1/tickets")
    )
    assert hung["direct"] == hung["httpx"]
    assert hung["direct"][:2] == ("UpstreamTimeout", "crm: timed out: ReadTimeout")


async def test_the_sandbox_crm_answers_alike(crm_url: str, crm_control: SandboxControl) -> None:
    params: dict[str, str | int] = {"company_id": "0000100001", "per_page": 5, "page": 1}
    seen = await outcomes(
        rest_clients(crm_url, TEST_LIMITS, token=CRM_TOKEN),
        lambda client: client.get("/api/v1/tickets", params),
    )
    assert seen["direct"] == seen["httpx"]
    assert seen["direct"][1]["items"]
    assert await crm_control.requests() == {"GET /api/v1/tickets": 2}


def upstream_samples(operation: str) -> dict[str, float]:
    """The counts of the CRM's `operation` by outcome, and of its durations."""
    counts = {
        outcome: REGISTRY.get_sample_value(
            "portalgraph_upstream_requests_total",
            {"system": "crm", "operation": operation, "outcome": outcome},
        )
        or 0.0
        for outcome in ("ok", "client_error", "server_error", "timeout", "transport_error")
    }
    timed = REGISTRY.get_sample_value(
        "portalgraph_upstream_request_duration_seconds_count",
        {"system": "crm", "operation": operation},
    )
    return {**counts, "timed": timed or 0.0}


@pytest.mark.parametrize(
    ("path", "operation", "outcome"),
    [
        ("/api/counted", "GET /api/counted", "ok"),
        ("/status/404", "GET /status/{code}", "client_error"),
        ("/status/503", "GET /status/{code}", "server_error"),
        ("/declared-huge", "GET /declared-huge", "transport_error"),
        ("/streamed-huge", "GET /streamed-huge", "ok"),  # its headers came, fine
    ],
)
async def test_metrics_and_tally_count_the_same(
    server: BaseTestServer, path: str, operation: str, outcome: str
) -> None:
    named = operation if "{" in operation else None
    moved: dict[Way, dict[str, float]] = {}
    for way, client in rest_clients(base(server), LIMITS, System.CRM).items():
        before = upstream_samples(operation)
        tally, token = open_tally(f"test-{way}")
        try:
            await outcomes({way: client}, lambda c: c.get(path, operation=named))
        finally:
            close_tally(token)
        after = upstream_samples(operation)
        moved[way] = {key: after[key] - before[key] for key in after}
        assert tally.upstream_calls == 1
    assert moved["direct"] == moved["httpx"]
    assert moved["direct"][outcome] == 1
    assert moved["direct"]["timed"] == 1


async def test_a_client_changed_after_it_was_made_sends_what_httpx_sends(
    server: BaseTestServer,
) -> None:
    rest = rest_clients(base(server), LIMITS)
    for client in rest.values():
        client.http.headers["X-Tenant-Key"] = "k-2"
    headers = await outcomes(rest, lambda client: client.get("/api/headers"))
    assert headers["direct"] == headers["httpx"]
    assert ["x-tenant-key", "k-2"] in headers["direct"][1]["headers"]

    rest = rest_clients(base(server), LIMITS)
    for client in rest.values():
        client.http.base_url = base(server, "/moved")
    direct = rest["direct"].http
    assert isinstance(direct, UpstreamClient)
    assert direct.direct is not None
    assert direct.direct.prepare("GET", "/api/moved") is None  # httpx's to build now
    moved = await outcomes(rest, lambda client: client.get("/api/moved"))
    assert moved["direct"] == moved["httpx"]
    assert moved["direct"][1]["target"] == "/moved/api/moved"


def unbounded(outcome: tuple[str, Any, float | None]) -> tuple[str, Any, float | None]:
    """The outcome with a multipart body's random boundary named alike."""
    text = json.dumps(outcome)
    if (boundary := re.search(r"boundary=(\w+)", text)) is not None:
        text = text.replace(boundary.group(1), "BOUNDARY")
    kind, value, retry = json.loads(text)
    return kind, value, retry


WRITES: list[tuple[str, dict[str, Any], bool]] = [
    # send_json's or post_form's arguments, sent straight (else through httpx)
    (
        "json",
        {"method": "POST", "body": {"subject": "Grüße", "n": [1, 2.5, None], "ok": True}},
        True,
    ),
    ("json", {"method": "PATCH", "body": {"status": "closed"}}, True),
    ("json", {"method": "POST", "body": None}, True),
    ("json", {"method": "DELETE", "body": None}, True),
    ("json", {"method": "PUT", "body": {}}, True),
    ("form", {"form": {"amount": "12.50", "note": "Zürich & co=1"}}, True),
    ("form", {"form": {"a": "1"}, "headers": {"Idempotency-Key": "k-1"}}, True),
    ("form", {"form": {"a": "1"}, "headers": {"accept": "application/json"}}, True),
    ("form", {"form": {}}, True),
    ("form", {"form": {"a": "1"}, "files": {"file": ("a.txt", b"abc", "text/plain")}}, False),
    ("form", {"form": {"a": "1"}, "headers": {"Host": "elsewhere"}}, False),
]


@pytest.mark.parametrize(("kind", "arguments", "straight"), WRITES)
async def test_writes_reach_the_upstream_the_same(
    server: BaseTestServer, kind: str, arguments: dict[str, Any], straight: bool
) -> None:
    rest = rest_clients(base(server, "/prefix"), LIMITS)
    direct = rest["direct"].http
    assert isinstance(direct, UpstreamClient)
    assert direct.direct is not None
    if kind == "json":
        method = arguments["method"]
        content = {"json": arguments["body"]}
        headers = None
    else:
        method = "POST"
        content = {"data": arguments["form"], "files": arguments.get("files")}
        headers = arguments.get("headers")
    prepared = direct.direct.prepare(method, "/api/written", None, headers, content)
    assert (prepared is not None) == straight

    async def write(client: RestClient) -> Any:
        if kind == "json":
            return await client.send_json(arguments["method"], "/api/written", arguments["body"])
        return await client.post_form(
            "/api/written",
            arguments["form"],
            arguments.get("headers"),
            files=arguments.get("files"),
        )

    seen = {way: unbounded(outcome) for way, outcome in (await outcomes(rest, write)).items()}
    if "Host" in (headers or {}):  # the server answers a request for another host alike
        assert seen["direct"][0] == seen["httpx"][0]
        return
    assert seen["direct"] == seen["httpx"]
    answer = seen["direct"][1]
    assert answer["method"] == method
    assert answer["target"] == "/prefix/api/written"


@pytest.mark.parametrize(
    ("code", "missing_ok", "expected"),
    [
        (204, False, ("answer", None)),
        (404, True, ("answer", None)),
        (404, False, ("UpstreamRejected", "crm: HTTP 404 from POST /status/404")),
        (422, False, ("UpstreamRefused", "crm: write refused: -: REFUSED ({'code': 422})")),
        (503, False, ("UpstreamUnavailable", "crm: HTTP 503 from POST /status/503")),
    ],
)
async def test_written_answers_and_refusals_are_the_same(
    server: BaseTestServer, code: int, missing_ok: bool, expected: tuple[str, Any]
) -> None:
    def refusal(status: int, body: Any) -> UpstreamRefused | None:
        if status != 422:
            return None
        return UpstreamRefused(System.CRM, (Refusal(None, "REFUSED", str(body)),))

    seen = await outcomes(
        rest_clients(base(server), LIMITS),
        lambda client: client.send_json(
            "POST", f"/status/{code}", {"x": 1}, refusal=refusal, missing_ok=missing_ok
        ),
    )
    assert seen["direct"] == seen["httpx"]
    assert seen["direct"][:2] == expected
