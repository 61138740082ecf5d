"""`/metrics` after known traffic: operations, upstream requests (checked against the
sandbox's own counts), cache hits and misses, and the families other parts move."""

import httpx

from infra import metrics
from sandbox.server import Sandbox
from tests.e2e.test_batching_and_cache import DASHBOARD, EXPECTED_DASHBOARD_REQUESTS
from tests.observability.conftest import delta, scrape
from tests.stack import GraphQLClient, Tokens, Upstream, running_gateway

UPSTREAM = "portalgraph_upstream_requests_total"
CACHE = "portalgraph_cache_lookups_total"
OPERATIONS = "portalgraph_graphql_requests_total"
RESPONSES = "portalgraph_response_cache_total"


async def test_dashboard_twice_moves_each_counter_by_its_traffic(
    fresh_gateway_url: str, upstream: Upstream, tokens: Tokens
) -> None:
    client = GraphQLClient(fresh_gateway_url, await tokens("anna"))
    before = scrape(fresh_gateway_url)
    await client.query(DASHBOARD)
    after_first = scrape(fresh_gateway_url)
    executed = await client.post(DASHBOARD, None, **{"Cache-Control": "no-cache"})  # not answered
    assert "errors" not in executed.json()  # from the response cache: executed again
    after_second = scrape(fresh_gateway_url)
    await client.query(DASHBOARD)  # answered from the response cache
    after_third = scrape(fresh_gateway_url)
    await client.aclose()

    for system, expected in EXPECTED_DASHBOARD_REQUESTS.items():
        assert upstream.counts(system) == expected, system
        for operation, count in expected.items():
            moved = delta(
                before, after_first, UPSTREAM, system=system, operation=operation, outcome="ok"
            )
            assert moved == count, (system, operation)
    upstream_total = sum(sum(counts.values()) for counts in EXPECTED_DASHBOARD_REQUESTS.values())
    assert delta(before, after_first, UPSTREAM) == upstream_total
    assert delta(after_first, after_second, UPSTREAM) == 0  # the second is served from cache
    assert (
        delta(before, after_first, "portalgraph_upstream_request_duration_seconds_count")
        == upstream_total
    )

    misses = delta(before, after_first, CACHE, result="miss")
    assert misses >= upstream_total  # a batch request fetches at least one key
    assert delta(before, after_first, CACHE, result="hit") == 0
    assert delta(after_first, after_second, CACHE, result="hit") == misses
    assert delta(after_first, after_second, CACHE, result="miss") == 0
    assert delta(before, after_first, CACHE, entity="erp:orders-of-customer", result="miss") == 1

    assert delta(after_second, after_third, UPSTREAM) == 0
    assert delta(after_second, after_third, CACHE) == 0  # no loader ran
    assert delta(after_second, after_third, RESPONSES, result="hit") == 1
    assert delta(before, after_third, RESPONSES, result="miss") == 1
    assert delta(before, after_third, RESPONSES, result="bypass") == 1

    labels = {"operation": "Dashboard", "type": "query"}
    assert delta(before, after_third, OPERATIONS, outcome="ok", **labels) == 3
    assert (
        delta(before, after_third, "portalgraph_graphql_request_duration_seconds_count", **labels)
        == 3
    )


async def test_an_upstream_outage_counts_as_server_errors_and_a_partial_operation(
    fresh_gateway_url: str, upstream: Upstream, tokens: Tokens
) -> None:
    upstream.fault("crm", mode="down")
    client = GraphQLClient(fresh_gateway_url, await tokens("anna"))
    before = scrape(fresh_gateway_url)
    response = await client.post("query Mixed { organization { number } tickets { totalCount } }")
    after = scrape(fresh_gateway_url)
    await client.aclose()

    body = response.json()
    assert body["data"]["organization"] is not None
    assert body["data"]["tickets"] is None
    attempts = upstream.counts("crm")["GET /api/v1/tickets"]
    assert attempts >= 1
    moved = delta(
        before, after, UPSTREAM, system="crm", operation="GET /api/v1/tickets",
        outcome="server_error",
    )  # fmt: skip
    assert moved == attempts
    assert delta(before, after, OPERATIONS, operation="Mixed", outcome="partial") == 1


async def test_operation_names_are_bounded_labels(
    sandbox: Sandbox, upstream: Upstream, tokens: Tokens
) -> None:
    with running_gateway(sandbox, metrics_max_operation_names=1) as url:
        client = GraphQLClient(url, await tokens("beat"))
        before = scrape(url)
        for name in ("First", "Second"):
            await client.query(f"query {name} {{ viewer {{ user {{ name }} }} }}")
        await client.query("{ viewer { user { name } } }")
        after = scrape(url)
        await client.aclose()
    assert delta(before, after, OPERATIONS, operation="First") == 1
    assert delta(before, after, OPERATIONS, operation="Second") == 0
    assert delta(before, after, OPERATIONS, operation="other") == 1
    assert delta(before, after, OPERATIONS, operation="anonymous") == 1


async def test_tenant_label_only_when_configured(
    sandbox: Sandbox, upstream: Upstream, tokens: Tokens
) -> None:
    query = "{ viewer { user { name } } }"
    by_tenant = "portalgraph_graphql_requests_by_tenant_total"
    with running_gateway(sandbox) as url:
        client = GraphQLClient(url, await tokens("luc"))
        before = scrape(url)
        await client.query(query)
        assert delta(before, scrape(url), by_tenant) == 0
        await client.aclose()
    with running_gateway(sandbox, metrics_tenant_label=True) as url:
        client = GraphQLClient(url, await tokens("luc"))
        before = scrape(url)
        await client.query(query)
        assert delta(before, scrape(url), by_tenant, tenant="0000100002") == 1
        await client.aclose()


def test_families_for_resilience_and_real_time_are_exposed(gateway_url: str) -> None:
    """The families exist and move; a system no guard watches keeps what it was set to (the
    live guards' own systems are set from their breakers at every scrape)."""
    before = scrape(gateway_url)
    metrics.set_circuit_state("ledger", "open")
    metrics.set_bulkhead_queue_depth("ledger", 3)
    metrics.subscription_opened("caseUpdated")
    metrics.subscription_opened("caseUpdated")
    metrics.subscription_closed("caseUpdated")
    metrics.event_delivered("order.status_changed", 2)
    metrics.webhook_verified("stripe", "bad_signature")
    metrics.set_event_lag("events", 1.5)
    metrics.cache_stale_served("erp:order")
    after = scrape(gateway_url)

    def circuit(state: str) -> float:
        name = "portalgraph_circuit_state"
        return after[(name, frozenset({("system", "ledger"), (name, state)}))]

    assert (circuit("open"), circuit("closed"), circuit("half_open")) == (1, 0, 0)
    assert after[("portalgraph_bulkhead_queue_depth", frozenset({("system", "ledger")}))] == 3
    live = (name := "portalgraph_circuit_state", frozenset({("system", "erp"), (name, "closed")}))
    assert after[live] == 1
    assert delta(before, after, "portalgraph_subscriptions_open", subscription="caseUpdated") == 1
    assert delta(before, after, "portalgraph_events_delivered_total") == 2
    assert (
        delta(before, after, "portalgraph_webhook_verifications_total", outcome="bad_signature")
        == 1
    )
    assert after[("portalgraph_event_stream_lag_seconds", frozenset({("stream", "events")}))] == 1.5
    assert delta(before, after, CACHE, entity="erp:order", result="stale") == 1
    metrics.set_circuit_state("erp", "closed")
    metrics.subscription_closed("caseUpdated")


def test_metrics_speak_the_prometheus_text_format(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE portalgraph_upstream_requests_total counter" in response.text
