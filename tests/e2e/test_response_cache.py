"""The response cache end to end: a repeated query is answered without execution, to its own
caller only; anything that could change the answer misses; the entity events, the caller's own
mutations, the TTL (on a clock the test moves) and the `@cached(ttl:)` directive end it."""

import hashlib
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.server import Sandbox
from schema.common import global_id
from tests.clock import ManualClock
from tests.live_stack import advance, invoice_after, live_gateway, processing_payment
from tests.redis_server import delete_prefix, new_prefix
from tests.stack import GraphQLClient, Tokens, Upstream, running_gateway, without_sources

DASHBOARD = (Path(__file__).parents[2] / "bench" / "queries" / "dashboard.graphql").read_text()
ORDERS = "query($first: Int!) { orders(first: $first) { edges { node { id number } } } }"
VIEWER = "{ viewer { user { username } roles organization { number legalName } } }"
NOT_FOUND = f'{{ order(id: "{global_id("Order", "erp", "0")}") {{ number }} }}'


def hit(response: httpx.Response) -> bool:
    """Answered from the response cache: only hits carry an `Age`."""
    return "age" in response.headers


def metric(url: str, name: str, **labels: str) -> float:
    """A counter of the gateway's `/metrics` (0 while it has no such series)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        series, _, value = line.rpartition(" ")
        if series == f"{name}{{{wanted}}}" if wanted else series == name:
            return float(value)
    return 0.0


def lookups(url: str) -> float:
    """Entity cache lookups so far (every loader batch makes some)."""
    total = 0.0
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("portalgraph_cache_lookups_total{"):
            total += float(line.rpartition(" ")[2])
    return total


@pytest.fixture
def clock(sandbox: Sandbox) -> ManualClock:
    return ManualClock()


@pytest.fixture
def gateway(sandbox: Sandbox, clock: ManualClock) -> Iterator[str]:
    """A gateway of the test's own on a clock the test moves."""
    with running_gateway(sandbox, clock=clock) as url:
        yield url


@pytest.fixture
async def client(gateway: str, tokens: Tokens) -> AsyncIterator[Any]:
    made: list[GraphQLClient] = []

    async def make(user: str, mfa: bool = False, **headers: str) -> GraphQLClient:
        made.append(GraphQLClient(gateway, await tokens(user, mfa=mfa)))
        made[-1].http.headers.update(headers)
        return made[-1]

    yield make
    for each in made:
        await each.aclose()


async def test_a_repeated_query_is_answered_without_upstream_or_loader(
    gateway: str, client: Any, upstream: Upstream
) -> None:
    anna = await client("anna")
    first = await anna.post(DASHBOARD)
    assert not hit(first)
    fresh = await anna.post(DASHBOARD, **{"Cache-Control": "no-cache"})  # executed, warm
    assert not hit(fresh)
    upstream.reset()
    before, hits = (
        lookups(gateway),
        metric(gateway, "portalgraph_response_cache_total", result="hit"),
    )

    again = await anna.post(DASHBOARD)

    assert hit(again)
    assert again.headers["age"] == "0"
    assert upstream.total() == 0
    assert lookups(gateway) == before  # no loader ran
    assert metric(gateway, "portalgraph_response_cache_total", result="hit") == hits + 1
    # indistinguishable from a fresh answer off a warm entity cache, `extensions` included
    assert again.json() == fresh.json()
    assert again.headers["content-type"] == fresh.headers["content-type"]


async def test_every_other_caller_or_input_misses(client: Any) -> None:
    anna = await client("anna")
    for query, variables in ((VIEWER, None), (ORDERS, {"first": 3})):
        assert not hit(await anna.post(query, variables))
        assert hit(await anna.post(query, variables))
    others = {
        "other roles, same organization": await client("beat"),
        "another organization": await client("luc"),
        "second factor": await client("anna", mfa=True),
        "another language": await client("anna", **{"Accept-Language": "fr-CH"}),
    }
    for why, other in others.items():
        response = await other.post(VIEWER)
        assert not hit(response), why
        assert "errors" not in response.json(), why
    assert not hit(await anna.post(ORDERS, {"first": 4}))  # other variables
    luc = (await others["another organization"].post(VIEWER)).json()["data"]
    assert luc["viewer"]["user"]["username"] == "luc"  # its own answer, now cached for luc


async def test_staff_reads_are_never_cached_being_audited_with_what_they_returned(
    client: Any,
) -> None:
    sandra = await client("sandra")
    for _ in range(2):
        response = await sandra.post("{ viewer { user { username } } }")
        assert response.json()["data"]["viewer"]["user"]["username"] == "sandra"
        assert not hit(response)


async def test_answers_with_errors_and_mutations_are_never_cached(client: Any) -> None:
    anna = await client("anna")
    for _ in range(2):
        response = await anna.post(NOT_FOUND)
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert not hit(response)
    refused = (
        'mutation { updatePreferences(input: {timezone: "Mars/Olympus"}) { userErrors { code } } }'
    )
    for _ in range(2):
        response = await anna.post(refused)  # a user error, no error: answered, and not kept
        assert response.json()["data"]["updatePreferences"]["userErrors"]
        assert not hit(response)


async def test_no_store_and_no_cache_bypass_the_cache(client: Any) -> None:
    anna = await client("anna")
    assert not hit(await anna.post(VIEWER, **{"Cache-Control": "no-store"}))
    assert not hit(await anna.post(VIEWER))  # no-store kept nothing
    assert hit(await anna.post(VIEWER))
    assert not hit(await anna.post(VIEWER, **{"Cache-Control": "no-cache"}))


async def test_the_ttl_ends_an_answer(clock: ManualClock, client: Any) -> None:
    anna = await client("anna")
    assert not hit(await anna.post(VIEWER))
    clock.advance(1.5)
    again = await anna.post(VIEWER)
    assert hit(again)
    assert again.headers["age"] == "1"
    clock.advance(0.5)  # the default TTL, 2 s
    assert not hit(await anna.post(VIEWER))


async def test_the_cached_directive_chooses_the_ttl_within_the_maximum(
    clock: ManualClock, client: Any
) -> None:
    anna = await client("anna")
    longer = "query Longer @cached(ttl: 20) " + VIEWER
    assert not hit(await anna.post(longer))
    clock.advance(19)
    assert hit(await anna.post(longer))
    clock.advance(1)
    assert not hit(await anna.post(longer))

    never = "query Never @cached(ttl: 0) " + VIEWER
    assert not hit(await anna.post(never))
    assert not hit(await anna.post(never))

    capped = "query Capped @cached(ttl: 3600) " + VIEWER
    assert not hit(await anna.post(capped))
    clock.advance(29)
    assert hit(await anna.post(capped))
    clock.advance(1)  # the maximum, 30 s
    assert not hit(await anna.post(capped))


async def test_an_answer_lives_no_longer_than_the_entities_it_read(
    clock: ManualClock, client: Any
) -> None:
    """Payments are fresh for 15 s: a dashboard reading them is not served past that."""
    anna = await client("anna")
    query = "query Long @cached(ttl: 30) " + DASHBOARD.split("query Dashboard", 1)[1]
    assert not hit(await anna.post(query))
    clock.advance(14)
    assert hit(await anna.post(query))
    clock.advance(1)
    assert not hit(await anna.post(query))


async def test_a_persisted_query_hits(client: Any) -> None:
    anna = await client("anna")
    sha = hashlib.sha256(VIEWER.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    registered = await anna.http.post("/graphql", json={"query": VIEWER, "extensions": extensions})
    assert "errors" not in registered.json()
    by_hash = await anna.http.post("/graphql", json={"extensions": extensions})
    assert hit(by_hash)
    assert without_sources(by_hash.json()) == without_sources(registered.json())


async def test_the_callers_own_mutation_evicts_their_answers(
    own_sandbox: Sandbox, own_tokens: Tokens
) -> None:
    preferences = "{ viewer { preferences { timezone dashboardWidgets } } }"
    update = """mutation($input: UpdatePreferencesInput!) { updatePreferences(input: $input) {
      userErrors { code } } }"""
    with running_gateway(own_sandbox) as url:
        carla = GraphQLClient(url, await own_tokens("carla"))
        beat = GraphQLClient(url, await own_tokens("beat"))
        await carla.query(preferences)
        await beat.query(VIEWER)
        assert hit(await carla.post(preferences))
        changed = await carla.query(update, {"input": {"timezone": "America/New_York"}})
        assert changed["updatePreferences"]["userErrors"] == []
        after = await carla.post(preferences)
        assert not hit(after)
        assert after.json()["data"]["viewer"]["preferences"]["timezone"] == "America/New_York"
        assert hit(await beat.post(VIEWER))  # another caller's answers stay
        await carla.aclose()
        await beat.aclose()


@pytest.fixture(scope="module")
def live(live_sandbox: Sandbox, redis_url: str) -> Iterator[str]:
    prefix = new_prefix()
    with live_gateway(live_sandbox, redis_url=redis_url, cache_prefix=prefix) as url:
        yield url
    delete_prefix(redis_url, prefix)


async def test_an_event_on_an_entity_read_evicts_the_answer(
    live_sandbox: Sandbox, live_tokens: Tokens, live: str
) -> None:
    intent = processing_payment(live_sandbox.seed)
    invoice_id, expected = invoice_after(live_sandbox.seed, intent)
    query = "query($id: ID!) { invoice(id: $id) { status amountResidual { amount } } }"
    variables = {"id": global_id("Invoice", "erp", invoice_id)}
    daniel = GraphQLClient(live, await live_tokens("daniel"))
    before = await daniel.post(query, variables)
    assert hit(await daniel.post(query, variables))

    await advance(live_sandbox, "payments", object="payment", id=intent.id, to="SUCCEEDED")
    after = await daniel.post(query, variables)
    await daniel.aclose()

    assert before.json()["data"]["invoice"]["status"] != expected["status"]
    assert not hit(after)
    invoice = after.json()["data"]["invoice"]
    assert invoice["status"] == expected["status"]
    assert Decimal(invoice["amountResidual"]["amount"]) == Decimal(
        expected["amountResidual"]["amount"]
    )
