"""Limits a public graph needs: each abusive request is refused with its own error before any
upstream call (the sandbox's request counters prove it), and one tenant cannot use up an
upstream system for the others."""

import asyncio
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from sandbox.seed import LUMIERE
from sandbox.server import Sandbox
from tests.access_fixtures import client
from tests.stack import Tokens, Upstream, running_gateway

DEPTH_BOMB = (
    "{ orders { edges { node { " + "quote { order { " * 10 + "number" + " } }" * 10 + " } } } }"
)
ALIAS_BOMB = "{ " + " ".join(f"a{i}: organization {{ legalName }}" for i in range(200)) + " }"
TOKEN_BOMB = "{ " + " ".join(f"a{i}: __typename" for i in range(3000)) + " }"
COST_BOMB = """{ orders(first: 100) { edges { node { lines { total { amount } }
    invoices { payments { refunds { amount { amount } } }
    documents { versions { edges { node { id } } } } } } } } }"""
BURST = 1000
ALLOWED = 40


def too_complex(body: dict[str, Any], limit: str) -> bool:
    (error,) = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return (extensions["code"], extensions["limit"]) == ("QUERY_TOO_COMPLEX", limit)


async def test_bombs_and_huge_bodies_never_reach_an_upstream(
    gateway_url: str, tokens: Tokens, upstream: Upstream
) -> None:
    headers = {"Authorization": f"Bearer {await tokens('beat')}"}
    async with httpx.AsyncClient(base_url=gateway_url, headers=headers, timeout=30) as http:
        answers = {
            limit: (await http.post("/graphql", json={"query": query})).json()
            for limit, query in (
                ("depth", DEPTH_BOMB),
                ("aliases", ALIAS_BOMB),
                ("tokens", TOKEN_BOMB),
                ("cost", COST_BOMB),
            )
        }
        body = b'{"query": "{ organization { legalName } }", "pad": "' + b" " * 10_000_000 + b'"}'
        too_big = await http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
    for limit, answer in answers.items():
        assert too_complex(answer, limit), answer
    assert "PORTALGRAPH_MAX_QUERY_COST" in answers["cost"]["errors"][0]["message"]
    assert too_big.status_code == 413
    assert too_big.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert upstream.total() == 0


async def test_a_measure_remembered_for_a_document_still_follows_its_variables(
    gateway_url: str, tokens: Tokens, upstream: Upstream
) -> None:
    """Measures are kept per document and the sizes its variables give: the same document
    asks for little, then for too much, then for little again."""
    query = """query($n: Int) { orders(first: $n) { edges { node { lines { total { amount } }
        invoices { payments { refunds { amount { amount } } }
        documents { versions { edges { node { id } } } } } } } } }"""
    headers = {"Authorization": f"Bearer {await tokens('anna')}"}
    async with httpx.AsyncClient(base_url=gateway_url, headers=headers, timeout=30) as http:
        answers = [
            (await http.post("/graphql", json={"query": query, "variables": {"n": n}})).json()
            for n in (1, 100, 1)
        ]
    small, big, again = answers
    assert "errors" not in small, small
    assert too_complex(big, "cost"), big
    assert again["data"] == small["data"]


def limited(
    sandbox: Sandbox, redis_url: str, redis_prefix: str, **settings: Any
) -> AbstractContextManager[str]:
    """A gateway with rate limits in Redis and (almost) no cache, so that each allowed
    request that reads the organization asks the ERP."""
    return running_gateway(
        sandbox,
        redis_url=redis_url,
        cache_prefix=redis_prefix,
        cache_ttl_s={"customer": 0.001},
        rate_limit_per_principal=ALLOWED,
        **settings,
    )


@pytest.fixture
def limited_gateway(sandbox: Sandbox, redis_url: str, redis_prefix: str) -> Iterator[str]:
    with limited(sandbox, redis_url, redis_prefix, upstream_budget={"erp": 3}) as url:
        yield url


async def test_a_burst_is_refused_beyond_the_rate_limit(
    sandbox: Sandbox, redis_url: str, redis_prefix: str, tokens: Tokens, upstream: Upstream
) -> None:
    headers = {"Authorization": f"Bearer {await tokens('beat')}"}
    query = {"query": "{ organization { legalName } }"}
    with limited(sandbox, redis_url, redis_prefix) as url:
        responses = await burst(url, headers, query)
    refused = [r for r in responses if r.status_code == 429]
    assert len(refused) == BURST - ALLOWED
    assert sum(r.status_code == 200 for r in responses) == ALLOWED
    for response in refused:
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 0 < error["extensions"]["retryAfter"] <= 60
        assert response.headers["Retry-After"] == str(error["extensions"]["retryAfter"])
    assert 1 <= upstream.counts("erp")["GetCustomers"] <= ALLOWED


async def burst(url: str, headers: dict[str, str], query: dict[str, str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        gate = asyncio.Semaphore(32)

        async def one() -> httpx.Response:
            async with gate:
                return await http.post("/graphql", json=query)

        return list(await asyncio.gather(*(one() for _ in range(BURST))))


async def test_one_tenant_cannot_use_up_the_erp_for_others(
    limited_gateway: str, tokens: Tokens, upstream: Upstream
) -> None:
    """Muster's budget of 3 ERP calls runs out; its CRM fields still resolve, and Lumière
    still reads the ERP."""
    beat = client(limited_gateway, await tokens("beat"))
    luc = client(limited_gateway, await tokens("luc"), **{"X-Portal-Organization": LUMIERE})
    query = "{ organization { legalName } tickets(first: 1) { totalCount } }"
    try:
        answers = [(await beat.post(query)).json() for _ in range(5)]
        other = await luc.query("{ organization { legalName } }")
    finally:
        await beat.aclose()
        await luc.aclose()
    served = [a for a in answers if a["data"]["organization"] is not None]
    refused = [a for a in answers if a["data"]["organization"] is None]
    assert len(served) == 3
    assert len(refused) == 2
    for answer in refused:
        (error,) = answer["errors"]
        assert error["path"] == ["organization"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["system"] == "erp"
        assert answer["data"]["tickets"]["totalCount"] > 0
    assert other["organization"]["legalName"]
    assert upstream.counts("erp").get("GetCustomers", 0) == 3 + 1
