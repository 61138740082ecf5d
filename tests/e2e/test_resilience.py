"""Fault injection against the whole stack: each upstream system down, slow, flapping or
answering garbage in turn, and Redis killed and restarted. Each test checks the data that
still arrives, the typed errors, the stale flags and `extensions.sources`, and (from the
sandbox's counters and the gateway's metrics) that retries, breakers and bulkheads bounded
the upstream traffic. The gateway's clock is one the test moves, so cache entries age
without waiting."""

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from bench.redis_server import RedisServer, own_redis_server
from sandbox.server import Sandbox
from tests.clock import ManualClock
from tests.stack import GraphQLClient, Tokens, Upstream, running_gateway
from tests.waiting import wait_until

QUERY = """{
  organization { legalName sync { asOf stale } }
  orders(first: 3) { edges { node { number sync { asOf stale }
                                    documents { title sync { stale } } } } }
  invoices(first: 3) { edges { node { number payments { id sync { stale } } } } }
  tickets(first: 3) { edges { node { number sync { stale } } } }
}"""
SYSTEMS = ("erp", "crm", "dms", "payments")
PAST_EVERY_TTL_S = 700.0
"""Ages every cache entry past twice its TTL (the longest is 300 s), within its stale window."""
BREAKER_FAILURES = 3
FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "down": ({"mode": "down"}, "UPSTREAM_UNAVAILABLE"),
    "slow": ({"latency_ms": 3000}, "UPSTREAM_TIMEOUT"),
}
GATEWAY = {
    "upstream_total_timeout_s": 0.4,
    "upstream_breaker_failures": BREAKER_FAILURES,
    "upstream_breaker_open_s": 60.0,
}


def system_data(data: dict[str, Any]) -> dict[str, list[dict[str, Any] | None]]:
    """The objects each system served, None where its field is null."""
    orders = [edge["node"] for edge in (data["orders"] or {"edges": []})["edges"]]
    invoices = [edge["node"] for edge in (data["invoices"] or {"edges": []})["edges"]]
    erp = [data["organization"], data["orders"], data["invoices"], *orders, *invoices]
    tickets = data["tickets"]
    return {
        "erp": erp,
        "crm": [tickets, *(edge["node"] for edge in tickets["edges"])] if tickets else [None],
        "dms": [doc for order in orders for doc in or_null(order["documents"])],
        "payments": [p for invoice in invoices for p in or_null(invoice["payments"])],
    }


def or_null(items: list[dict[str, Any]] | None) -> list[dict[str, Any] | None]:
    return [None] if items is None else list(items)


def stale_flags(objects: list[dict[str, Any] | None]) -> set[bool]:
    return {item["sync"]["stale"] for item in objects if item and "sync" in item}


async def ask(url: str, token: str, **headers: str) -> dict[str, Any]:
    client = GraphQLClient(url, token)
    try:
        response = await client.post(QUERY, None, **headers)
    finally:
        await client.aclose()
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def gateway(sandbox: Sandbox, clock: ManualClock, upstream: Upstream) -> Iterator[str]:
    with running_gateway(sandbox, clock, **GATEWAY) as url:
        yield url


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("failing", SYSTEMS)
async def test_a_failing_system_is_served_stale_where_cached_and_typed_null_elsewhere(
    gateway: str, upstream: Upstream, tokens: Tokens, clock: ManualClock, failing: str, fault: str
) -> None:
    spec, code = FAULTS[fault]
    anna, luc = await tokens("anna"), await tokens("luc")
    warm = await ask(gateway, anna)
    assert "errors" not in warm
    clock.advance(PAST_EVERY_TTL_S)
    upstream.fault(failing, **spec)
    upstream.reset()

    cold = await ask(gateway, luc)  # Luc's data is not in the cache: typed nulls
    stale = await ask(gateway, anna)  # Anna's is (past its TTL): served stale
    calls_after_two = upstream.counts(failing)
    again = await ask(gateway, luc)

    assert "errors" not in stale
    served = system_data(stale["data"])
    assert None not in served[failing]
    assert stale_flags(served[failing]) == {True}
    sources = stale["extensions"]["sources"]
    assert sources[failing]["status"] == "stale"
    assert sources[failing]["asOf"] == warm["data"]["organization"]["sync"]["asOf"]
    for other in set(SYSTEMS) - {failing}:
        assert stale_flags(served[other]) <= {False}, other
        assert sources[other]["status"] == "ok", other

    assert cold["errors"]
    for error in cold["errors"]:
        assert error["extensions"]["code"] == code
        assert error["extensions"]["system"] == failing
        assert error["extensions"]["retryAfter"] >= 1
    assert None in system_data(cold["data"])[failing]
    assert cold["extensions"]["sources"][failing]["status"] == "failed"
    if failing != "erp":  # without the ERP no order or invoice leads to the other systems
        assert all(None not in system_data(cold["data"])[s] for s in set(SYSTEMS) - {failing})
    assert "service unavailable" not in str(cold)

    assert sum(calls_after_two.values()) <= 2 * BREAKER_FAILURES
    assert upstream.counts(failing) == calls_after_two  # the circuit is open: no more calls
    assert again["extensions"]["sources"][failing]["calls"] == 0


async def test_after_an_outage_the_circuit_closes_and_data_is_fresh_again(
    sandbox: Sandbox, upstream: Upstream, tokens: Tokens, clock: ManualClock
) -> None:
    with running_gateway(sandbox, clock, upstream_breaker_failures=1,
                         upstream_breaker_open_s=0.2) as url:  # fmt: skip
        token = await tokens("anna")
        await ask(url, token)
        clock.advance(PAST_EVERY_TTL_S)
        upstream.fault("crm", mode="down")
        assert (await ask(url, token))["extensions"]["sources"]["crm"]["status"] == "stale"
        upstream.fault("crm", mode="ok")

        async def fresh_again() -> bool:
            clock.advance(PAST_EVERY_TTL_S)
            answer = await ask(url, token)
            return bool(answer["extensions"]["sources"]["crm"]["status"] == "ok")

        await wait_until(fresh_again)
        readiness = (await get(f"{url}/readyz")).json()
    assert readiness["checks"]["crm"]["circuit"] == "closed"


async def test_a_flapping_system_never_empties_the_page(
    sandbox: Sandbox, upstream: Upstream, tokens: Tokens, clock: ManualClock
) -> None:
    """The ERP is down 0.3 s of every 0.6 s; every answer still carries the ERP's data,
    stale while it is down and fresh again when it is up."""
    token = await tokens("anna")
    with running_gateway(sandbox, clock, upstream_breaker_failures=2,
                         upstream_breaker_open_s=0.1) as url:  # fmt: skip
        await ask(url, token)
        upstream.fault("erp", mode="down", flap={"period_s": 0.6, "down_s": 0.3})
        upstream.reset()
        statuses: list[str] = []
        for _ in range(200):  # bounded: stops once it has seen an outage and a recovery
            clock.advance(PAST_EVERY_TTL_S / 10)
            answer = await ask(url, token)
            assert "errors" not in answer, answer["errors"]
            assert None not in system_data(answer["data"])["erp"]
            statuses.append(answer["extensions"]["sources"]["erp"]["status"])
            if (
                "stale" in statuses
                and statuses[-1] == "ok"
                and statuses.index("stale") < len(statuses) - 1
            ):
                break
            await asyncio.sleep(0.02)  # paces the loop across the flapping schedule

    assert "stale" in statuses
    assert statuses[-1] == "ok"
    assert sum(upstream.counts("erp").values()) <= 6 * len(statuses)


async def test_the_bulkhead_rejects_at_once_what_a_slow_system_cannot_take(
    sandbox: Sandbox, upstream: Upstream, tokens: Tokens
) -> None:
    upstream.fault("erp", latency_ms=300)
    with running_gateway(sandbox, upstream_max_concurrent=1, upstream_max_queue=0) as url:
        answer = await ask(url, await tokens("anna"))
        metrics = (await get(f"{url}/metrics")).text

    rejected = [e for e in answer["errors"] if e["extensions"]["system"] == "erp"]
    assert rejected
    assert all(e["extensions"]["code"] == "UPSTREAM_UNAVAILABLE" for e in rejected)
    assert 'portalgraph_bulkhead_rejected_total{system="erp"}' in metrics
    assert sum(upstream.counts("erp").values()) < 3 + len(rejected)  # one at a time got through


@pytest.mark.parametrize("garbage", ["noise", "truncated", "wrong_types", "huge"])
async def test_garbage_is_a_typed_error_logged_with_the_request_id(
    gateway: str,
    upstream: Upstream,
    tokens: Tokens,
    caplog: pytest.LogCaptureFixture,
    garbage: str,
) -> None:
    upstream.fault("dms", mode="garbage", garbage=garbage, huge_mb=20)
    with caplog.at_level(logging.WARNING, logger="portalgraph.upstream"):
        answer = await ask(gateway, await tokens("anna"), **{"X-Request-ID": f"rid-{garbage}"})

    documents = system_data(answer["data"])["dms"]
    assert documents
    assert all(document is None for document in documents)
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"UPSTREAM_BAD_RESPONSE"}
    assert {e["extensions"]["system"] for e in answer["errors"]} == {"dms"}
    assert "garbage" not in str(answer)
    assert "xxxx" not in str(answer)
    logged = [r.getMessage() for r in caplog.records if f"rid-{garbage}" in r.getMessage()]
    assert any("dms" in line for line in logged)
    assert upstream.counts("dms") == {"GET /api/documents": 1}  # bad answers are not retried


async def test_the_gateway_serves_through_a_redis_outage_and_uses_redis_again_after(
    sandbox: Sandbox, upstream: Upstream, tokens: Tokens
) -> None:
    token = await tokens("anna")
    with (
        own_redis_server() as server,
        # without the in-process first level and response cache: every read shows in Redis
        running_gateway(
            sandbox, redis_url=server.url, cache_local_ttl_s=0, response_cache_ttl_s=0
        ) as url,
    ):
        before = await ask(url, token)
        assert cached_keys(server)

        server.kill()
        during = await ask(url, token)
        degraded = await get(f"{url}/readyz")

        server.start()  # the same port, empty

        async def ready() -> bool:
            return bool((await get(f"{url}/readyz")).json()["status"] == "ready")

        await wait_until(ready)
        after = await ask(url, token)
        assert cached_keys(server)

    for answer in (during, after):
        assert "errors" not in answer
        assert numbers(answer) == numbers(before)
    assert degraded.status_code == 200
    assert degraded.json()["status"] == "degraded"
    assert degraded.json()["checks"]["redis"]["status"] == "degraded"


def numbers(answer: dict[str, Any]) -> list[str]:
    return [edge["node"]["number"] for edge in answer["data"]["orders"]["edges"]]


def cached_keys(server: RedisServer) -> list[bytes]:
    client = redis.Redis.from_url(server.url)
    try:
        return list(client.scan_iter(match="pg:cache:*", count=500))
    finally:
        client.close()
