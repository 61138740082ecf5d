"""The dashboard query's upstream traffic: batched per entity type and nesting level, then
served from the cache, shared by replicas through a real Redis."""

from pathlib import Path
from typing import Any

from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from tests.stack import GraphQLClient, Tokens, Upstream, running_gateway

DASHBOARD = (Path(__file__).parents[2] / "bench" / "queries" / "dashboard.graphql").read_text()

EXPECTED_DASHBOARD_REQUESTS = {
    # level 0: viewer.organization / accountBalance, the order list, the ticket list
    "erp": {
        "GetCustomers": 1,
        "GetOpenItems": 1,
        "ListOrders": 1,
        # level 1: organization.addresses and the orders' lines, deliveries and invoices
        "GetAddresses": 1,
        "GetOrderLines": 1,
        "GetDeliveriesByOrders": 1,
        "GetInvoicesByOrders": 1,
    },
    # level 0: the ticket list; level 1: the tickets' messages
    "crm": {"GET /api/v1/tickets": 1, "GET /api/v1/comments": 1},
    # level 2: the invoices' payments and documents
    "payments": {"GET /v1/payment_intents": 1},
    "dms": {"GET /api/documents": 1},
}


async def test_dashboard_makes_one_request_per_entity_type_and_level(
    sandbox: Sandbox, upstream: Upstream, fresh_gateway_url: str, tokens: Tokens
) -> None:
    client = GraphQLClient(fresh_gateway_url, await tokens("anna"))
    data = await client.query(DASHBOARD)
    await client.aclose()

    muster_orders = [o for o in sandbox.seed.orders if o.customer == MUSTER]
    assert data["orders"]["totalCount"] == len(muster_orders)
    assert len(data["orders"]["edges"]) == 20
    invoices = [i for e in data["orders"]["edges"] for i in e["node"]["invoices"]]
    assert any(invoice["payments"] for invoice in invoices)
    assert any(invoice["documents"] for invoice in invoices)
    assert all(edge["node"]["lines"] for edge in data["orders"]["edges"])
    for system, expected in EXPECTED_DASHBOARD_REQUESTS.items():
        assert upstream.counts(system) == expected, system


async def test_second_dashboard_is_served_from_redis_and_replicas_share_it(
    sandbox: Sandbox, upstream: Upstream, tokens: Tokens, redis_url: str, redis_prefix: str
) -> None:
    token = await tokens("anna")
    shared: dict[str, Any] = {"redis_url": redis_url, "cache_prefix": redis_prefix}
    with (
        running_gateway(sandbox, **shared) as replica_a,
        running_gateway(sandbox, **shared) as replica_b,
    ):
        client_a, client_b = GraphQLClient(replica_a, token), GraphQLClient(replica_b, token)
        first = await client_a.query(DASHBOARD)
        assert upstream.total() > 0

        upstream.reset()
        again = await client_a.query(DASHBOARD)
        assert upstream.total() == 0
        from_b = await client_b.query(DASHBOARD)
        assert upstream.total() == 0
        await client_a.aclose()
        await client_b.aclose()

    for data in (again, from_b):
        assert data["orders"] == first["orders"]
        assert data["tickets"] == first["tickets"]
        assert data["viewer"] == first["viewer"]


async def test_cached_records_are_checked_for_the_tenant_after_the_cache(
    sandbox: Sandbox, upstream: Upstream, tokens: Tokens, redis_url: str, redis_prefix: str
) -> None:
    """Anna's order, once cached, is still invisible to Luc (another organization)."""
    query = "query($id: ID!) { order(id: $id) { number } }"
    with running_gateway(sandbox, redis_url=redis_url, cache_prefix=redis_prefix) as url:
        anna = GraphQLClient(url, await tokens("anna"))
        luc = GraphQLClient(url, await tokens("luc"))
        first = await anna.query("{ orders(first: 1) { edges { node { id number } } } }")
        order = first["orders"]["edges"][0]["node"]
        assert (await anna.query(query, {"id": order["id"]}))["order"]["number"] == order["number"]
        upstream.reset()
        denied = (await luc.post(query, {"id": order["id"]})).json()
        assert upstream.total() == 0  # served from the cache, and still denied
        assert denied["data"] == {"order": None}
        assert denied["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        await anna.aclose()
        await luc.aclose()
