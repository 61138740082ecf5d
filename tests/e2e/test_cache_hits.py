"""Response cache hits answered before the operation pipeline (`portalgraph.cache_hits`): the
same status, headers, body and metrics as the pipeline's answer to the same hit; counted once
against the rate limit, refused as the pipeline refuses; everything else still executed."""

import hashlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from infra.ratelimit import Quota
from infra.usage import UsageStore
from portalgraph.app import create_app
from portalgraph.view import GatewayView
from sandbox.server import Sandbox
from schema.common import global_id
from tests.clock import ManualClock
from tests.observability.conftest import delta, scrape
from tests.servers import serve_in_thread
from tests.stack import GraphQLClient, Tokens, gateway_settings

DASHBOARD = (Path(__file__).parents[2] / "bench" / "queries" / "dashboard.graphql").read_text()
VIEWER = "{ viewer { user { username } roles organization { number legalName } } }"
ORDERS = "query Orders($first: Int!) { orders(first: $first) { edges { node { id number } } } }"
NOT_FOUND = f'{{ order(id: "{global_id("Order", "erp", "0")}") {{ number }} }}'
OPERATIONS = "portalgraph_graphql_requests_total"
DURATIONS = "portalgraph_graphql_request_duration_seconds"
VARYING = frozenset({"date", "x-request-id"})
"""Headers that differ between any two answers."""

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


class Gateway:
    """A gateway of the test's own whose hits can go the pipeline's way (`pipeline()`), and
    which counts the operations strawberry's pipeline runs."""

    def __init__(self, app: Starlette, url: str) -> None:
        self.url = url
        view = next(
            route.endpoint
            for route in app.routes
            if isinstance(route, Route) and route.path == "/graphql"
        )
        assert isinstance(view, GatewayView)
        assert view.hits is not None
        self.view = view
        self.executions = 0
        execute = self.view.schema.execute

        async def counting(*args: Any, **kwargs: Any) -> Any:
            self.executions += 1
            return await execute(*args, **kwargs)

        self.view.schema.execute = counting  # type: ignore[method-assign]

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """Hits answered by the pipeline's `CacheResponses`, as before `CacheHits`."""
        hits, self.view.hits = self.view.hits, None
        try:
            yield
        finally:
            self.view.hits = hits


@contextmanager
def gateway(
    sandbox: Sandbox,
    prepare_usage: Callable[[UsageStore], Awaitable[None]] | None = None,
    **overrides: Any,
) -> Iterator[Gateway]:
    settings = gateway_settings(sandbox, **overrides)
    app = create_app(settings, ManualClock(), prepare_usage)  # Age stays 0
    with serve_in_thread(app) as url:
        yield Gateway(app, url)


@pytest.fixture
def own(sandbox: Sandbox) -> Iterator[Gateway]:
    with gateway(sandbox) as made:
        yield made


@pytest.fixture
async def anna(own: Gateway, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    client = GraphQLClient(own.url, await tokens("anna"))
    yield client.http
    await client.aclose()


def post(query: str | None, variables: dict[str, Any] | None = None, **fields: Any) -> Send:
    def send(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        body = {"query": query, "variables": variables, **fields}
        return client.post("/graphql", json={k: v for k, v in body.items() if v is not None})

    return send


def get(query: str) -> Send:
    def send(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.get(f"/graphql?{urlencode({'query': query})}")

    return send


def with_headers(send: Send, **headers: str) -> Send:
    def sent(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        client.headers.update(headers)
        try:
            return send(client)
        finally:
            for name in headers:
                del client.headers[name]

    return sent


def persisted(query: str, with_text: bool) -> Send:
    """An automatic persisted query: registered with its text, asked by its hash alone."""
    sha = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    return post(query if with_text else None, extensions=extensions)


def seen(response: httpx.Response) -> tuple[int, dict[str, str], dict[str, Any]]:
    """What a client sees of an answer, but what differs between any two."""
    headers = {k: v for k, v in response.headers.items() if k not in VARYING}
    return response.status_code, headers, response.json()


REQUESTS: dict[str, tuple[Send, Send]] = {
    # what computes the answer, what asks for it again
    "anonymous operation": (post(VIEWER), post(VIEWER)),
    "named operation, not named in the request": (post(DASHBOARD), post(DASHBOARD)),
    "named in the request, with variables": (
        post(ORDERS, {"first": 3}, operationName="Orders"),
        post(ORDERS, {"first": 3}, operationName="Orders"),
    ),
    "over GET": (get(VIEWER), get(VIEWER)),
    "GraphQL over HTTP's media type": (
        with_headers(post(VIEWER), Accept="application/graphql-response+json"),
        with_headers(post(VIEWER), Accept="application/graphql-response+json"),
    ),
    "persisted query by its hash": (persisted(VIEWER, True), persisted(VIEWER, False)),
}


@pytest.mark.parametrize("case", REQUESTS)
async def test_a_hit_answers_as_the_pipeline_answers_it(
    own: Gateway, anna: httpx.AsyncClient, case: str
) -> None:
    compute, again = REQUESTS[case]
    first = await compute(anna)
    assert first.status_code == 200, first.text
    assert "errors" not in first.json(), first.text
    before = scrape(own.url)
    executions = own.executions

    fast = await again(anna)
    assert own.executions == executions  # answered before the pipeline
    with own.pipeline():
        slow = await again(anna)
    assert own.executions == executions + 1

    assert "age" in fast.headers
    assert seen(fast) == seen(slow)
    assert delta(before, scrape(own.url), "portalgraph_response_cache_total", result="hit") == 2


async def test_a_hit_is_observed_as_the_pipeline_observes_it(
    own: Gateway, anna: httpx.AsyncClient
) -> None:
    labels = {"operation": "Dashboard", "type": "query"}
    await anna.post("/graphql", json={"query": DASHBOARD})
    samples = [scrape(own.url)]
    await anna.post("/graphql", json={"query": DASHBOARD})
    samples.append(scrape(own.url))
    with own.pipeline():
        await anna.post("/graphql", json={"query": DASHBOARD})
    samples.append(scrape(own.url))

    moved = [
        {
            name: delta(before, after, name, **labels)
            for name in (OPERATIONS, f"{DURATIONS}_count", f"{OPERATIONS[:-6]}_by_tenant_total")
        }
        | {"ok": delta(before, after, OPERATIONS, outcome="ok", **labels)}
        for before, after in itertools.pairwise(samples)
    ]
    assert moved[0] == moved[1]
    assert moved[0][OPERATIONS] == moved[0]["ok"] == 1


async def test_what_is_no_hit_is_executed(own: Gateway, tokens: Tokens) -> None:
    anna = GraphQLClient(own.url, await tokens("anna"))
    sandra = GraphQLClient(own.url, await tokens("sandra"))  # staff: never cached
    preferences = (
        'mutation { updatePreferences(input: {timezone: "Mars/Olympus"}) { userErrors { code } } }'
    )
    asked = [
        (anna, VIEWER, {"Cache-Control": "no-store"}),
        (anna, VIEWER, {"Cache-Control": "no-cache"}),
        (anna, NOT_FOUND, {}),  # an error: not kept
        (anna, preferences, {}),  # a mutation
        (sandra, VIEWER, {}),
    ]
    for client, query, headers in asked:
        for _ in range(2):
            executions = own.executions
            response = await client.post(query, None, **headers)
            assert own.executions == executions + 1, (query, headers)
            assert "age" not in response.headers
    await anna.aclose()
    await sandra.aclose()


@pytest.mark.parametrize(
    "query",
    [
        "{ viewer { user { username } }",  # a syntax error
        "{ viewer " * 1200 + "}" * 1200,  # deeper than the parser goes (within the tokens)
    ],
    ids=["syntax error", "too deep"],
)
async def test_documents_the_parser_refuses_are_answered_by_the_pipeline(
    own: Gateway, anna: httpx.AsyncClient, query: str
) -> None:
    executions = own.executions
    fast = await anna.post("/graphql", json={"query": query})
    with own.pipeline():
        slow = await anna.post("/graphql", json={"query": query})
    assert own.executions == executions + 2
    for response in (fast, slow):
        for error in response.json().get("errors", []):
            error.get("extensions", {}).pop("traceId", None)
    assert seen(fast) == seen(slow)
    assert fast.json()["errors"]


async def test_hits_are_counted_once_and_refused_as_the_pipeline_refuses(
    sandbox: Sandbox, tokens: Tokens
) -> None:
    with gateway(sandbox, rate_limit_per_principal=4) as own:
        anna = GraphQLClient(own.url, await tokens("anna"))
        assert "age" not in (await anna.post(VIEWER)).headers  # counted 1
        for _ in range(3):  # counted 2, 3, 4: each once
            assert "age" in (await anna.post(VIEWER)).headers
        executions = own.executions

        refused = await anna.post(VIEWER)  # counted before the pipeline, refused by it
        assert own.executions == executions + 1
        with own.pipeline():
            refused_by_pipeline = await anna.post(VIEWER)
        await anna.aclose()

    for response in (refused, refused_by_pipeline):
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        assert "age" not in response.headers
    status, headers, body = seen(refused)
    other_status, other_headers, other_body = seen(refused_by_pipeline)
    assert (status, headers.keys()) == (other_status, other_headers.keys())
    for error in (*body["errors"], *other_body["errors"]):
        error["extensions"].pop("traceId", None)  # with a tracer provider that samples
        del error["extensions"]["retryAfter"]  # whole seconds, a moment apart
    assert body == other_body
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_an_answer_gone_while_counted_is_executed_counted_once(
    own: Gateway, anna: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await anna.post("/graphql", json={"query": VIEWER})
    hits = own.view.hits
    assert hits is not None
    limiter = hits.limiter
    counted: list[Sequence[Quota]] = []
    hit = limiter.hit

    async def evicting(quotas: Sequence[Quota], prefetch: Sequence[Quota] = ()) -> float | None:
        if any("p:" in quota.key for quota in quotas):  # the operation's, not a budget's
            counted.append(quotas)
            hits.cache.clear()  # as an eviction would, while the count is under way
        return await hit(quotas, prefetch)

    monkeypatch.setattr(limiter, "hit", evicting)  # the pipeline's limiter too
    executions = own.executions
    again = await anna.post("/graphql", json={"query": VIEWER})

    assert "age" not in again.headers
    assert again.json()["data"] == first.json()["data"]
    assert own.executions == executions + 1
    assert len(counted) == 1


async def test_a_hit_whose_usage_count_breaks_answers_as_the_pipeline_does(
    sandbox: Sandbox, tokens: Tokens
) -> None:
    """An unexpected error while a hit's usage is counted (a fault injected into the usage
    store, from the second request on) is the pipeline's masked error, not a 500."""
    recorded: list[str] = []

    async def break_after_the_first(usage: UsageStore) -> None:
        record = usage.record

        async def breaking(organization: str, *args: Any) -> None:
            recorded.append(organization)
            if len(recorded) > 1:
                raise RuntimeError("the usage store broke")
            await record(organization, *args)

        usage.record = breaking  # type: ignore[method-assign,assignment]

    with gateway(sandbox, prepare_usage=break_after_the_first) as own:
        anna = GraphQLClient(own.url, await tokens("anna"))
        first = await anna.post(VIEWER)  # computed, counted, kept
        fast = await anna.post(VIEWER)
        with own.pipeline():
            slow = await anna.post(VIEWER)
        await anna.aclose()

    assert "errors" not in first.json()
    for response in (fast, slow):
        for error in response.json()["errors"]:
            error.get("extensions", {}).pop("traceId", None)
    assert seen(fast) == seen(slow)
    assert fast.status_code == 200
    assert len(recorded) == 4  # the hit's count failed, then the pipeline's try
