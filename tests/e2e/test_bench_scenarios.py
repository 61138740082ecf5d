"""The benchmark's scenarios (`bench.scenarios`) through a real gateway: the upstream requests
each query makes, cold and warm, pinned, so that a regression in batching or caching fails
here rather than only slowing the benchmark down. Timings are the benchmark's business."""

from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from bench.__main__ import NO_CACHE
from bench.scenarios import SCENARIOS, Scenario, Variables
from portalgraph.settings import parse_pairs
from sandbox.server import Sandbox
from tests.stack import GraphQLClient, Tokens, Upstream, running_gateway

COLD = [s for s in SCENARIOS.values() if not s.cached]
EXECUTED_WARM = [s for s in SCENARIOS.values() if s.cached and not s.response_cache]
ANSWERED_AGAIN = [s for s in SCENARIOS.values() if s.response_cache]
NO_TTL = parse_pairs(NO_CACHE)


@pytest.fixture
def counters(own_sandbox: Sandbox) -> Upstream:
    upstream = Upstream(own_sandbox)
    upstream.reset()
    return upstream


def cache_lookups(url: str) -> dict[str, float]:
    """The gateway's cache lookups so far by result (hit, miss), over every entity type."""
    totals: dict[str, float] = {"hit": 0.0, "miss": 0.0}
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("portalgraph_cache_lookups_total{"):
            for result in totals:
                if f'result="{result}"' in line:
                    totals[result] += float(line.rsplit(" ", 1)[1])
    return totals


async def variables_of(scenario: Scenario, client: GraphQLClient) -> Variables:
    async def ask(query: str, variables: Mapping[str, object] | None) -> Mapping[str, Any]:
        return await client.query(query, dict(variables or {}))

    return await scenario.prepare(ask)


async def run(
    scenario: Scenario, client: GraphQLClient, variables: Variables, n: int
) -> httpx.Response:
    """The scenario's n-th request, as the benchmark sends it (its headers too)."""
    response = await client.post(scenario.query, dict(variables(n)), **scenario.headers)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    for payload in body["data"].values():
        assert not (isinstance(payload, dict) and payload.get("userErrors")), payload
    return response


@pytest.mark.parametrize("scenario", COLD, ids=lambda s: s.name)
async def test_a_cold_query_makes_one_request_per_entity_type_and_level(
    scenario: Scenario, own_sandbox: Sandbox, own_tokens: Tokens, counters: Upstream
) -> None:
    with running_gateway(own_sandbox, cache_ttl_s=NO_TTL) as url:
        client = GraphQLClient(url, await own_tokens(scenario.user, mfa=scenario.mfa))
        variables = await variables_of(scenario, client)
        for n in range(2):  # no cache: the second query asks the upstreams again
            counters.reset()
            await run(scenario, client, variables, n)
            assert counters.total() == scenario.upstream_per_query
        await client.aclose()


async def run_again(
    scenario: Scenario, sandbox: Sandbox, tokens: Tokens, counters: Upstream
) -> tuple[httpx.Response, dict[str, float]]:
    """The scenario's second request on a fresh gateway, and the entity cache lookups it made
    by result (the upstream requests it made are left in `counters`)."""
    with running_gateway(sandbox) as url:
        client = GraphQLClient(url, await tokens(scenario.user, mfa=scenario.mfa))
        variables = await variables_of(scenario, client)
        await run(scenario, client, variables, 0)  # warms the cache
        counters.reset()
        before = cache_lookups(url)
        again = await run(scenario, client, variables, 1)
        after = cache_lookups(url)
        await client.aclose()
    return again, {result: after[result] - before[result] for result in after}


@pytest.mark.parametrize("scenario", EXECUTED_WARM, ids=lambda s: s.name)
async def test_a_warm_query_asks_only_for_what_it_writes(
    scenario: Scenario, own_sandbox: Sandbox, own_tokens: Tokens, counters: Upstream
) -> None:
    _, lookups = await run_again(scenario, own_sandbox, own_tokens, counters)
    assert counters.total() == scenario.upstream_per_query
    assert lookups["miss"] == 0  # every record read came from the cache
    assert lookups["hit"] > 0


@pytest.mark.parametrize("scenario", ANSWERED_AGAIN, ids=lambda s: s.name)
async def test_a_repeated_query_costs_no_upstream_request_and_no_cache_lookup(
    scenario: Scenario, own_sandbox: Sandbox, own_tokens: Tokens, counters: Upstream
) -> None:
    """A response cache hit: nothing upstream, no loader, so no entity cache lookup either."""
    again, lookups = await run_again(scenario, own_sandbox, own_tokens, counters)
    assert "age" in again.headers  # answered from the response cache
    assert counters.total() == scenario.upstream_per_query == 0
    assert lookups == {"hit": 0, "miss": 0}


async def test_the_naive_configuration_asks_per_key(
    own_sandbox: Sandbox, own_tokens: Tokens, counters: Upstream
) -> None:
    """What the benchmark's naive configuration is measured against: without batching the
    dashboard asks the ERP for each order's lines, deliveries and invoices one by one."""
    dashboard = SCENARIOS["dashboard-cold"]
    with running_gateway(own_sandbox, cache_ttl_s=NO_TTL, loader_batching=False) as url:
        client = GraphQLClient(url, await own_tokens(dashboard.user))
        data = await client.query(dashboard.query)
        await client.aclose()
    orders = len(data["orders"]["edges"])
    erp = counters.counts("erp")
    assert erp["GetOrderLines"] == erp["GetDeliveriesByOrders"] == orders
    assert counters.total() > dashboard.upstream_per_query + 2 * orders
