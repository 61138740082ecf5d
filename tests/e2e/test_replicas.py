"""Two gateway processes sharing one real Redis, as behind a load balancer: a webhook posted
to replica A reaches subscribers on replica B, filtered by organization and permission; the
cache is fresh on both right after a webhook; a subscriber whose replica is killed resumes
on the other with its cursor, missing nothing and getting nothing twice; the ERP is polled
by exactly one replica, and by the other within the lease's TTL once the first is killed."""

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from infra.events import stream_key
from sandbox.seed import LUMIERE, MUSTER
from sandbox.server import Sandbox
from schema.common import global_id
from tests.live_stack import (
    LIVE_SETTINGS,
    advance,
    invoice_after,
    open_ticket,
    post_message,
    processing_payment,
)
from tests.redis_server import delete_prefix, new_prefix
from tests.replicas import Replica, replica
from tests.stack import Tokens
from tests.ws_client import ws_client

CASES = "subscription { caseUpdated { __typename number } }"
MESSAGES = "subscription($after: String) { messageAdded(after: $after) { body } }"
WAIT_S = 15.0


@pytest.fixture(scope="module")
def pair(live_sandbox: Sandbox, redis_url: str) -> Iterator[tuple[Replica, Replica, str]]:
    """Replicas A (receives the webhooks) and B, with a key prefix of this module's own."""
    prefix = new_prefix()
    shared = {"redis_url": redis_url, "cache_prefix": prefix}
    with (
        replica(live_sandbox, "replica-a", **shared) as a,
        replica(live_sandbox, "replica-b", **shared) as b,
    ):
        live_sandbox.webhooks.url = f"{a.url}/webhooks"
        try:
            yield a, b, prefix
        finally:
            live_sandbox.webhooks.url = None
    delete_prefix(redis_url, prefix)


async def test_a_webhook_to_a_reaches_only_entitled_subscribers_on_b(
    live_sandbox: Sandbox, live_tokens: Tokens, pair: tuple[Replica, Replica, str]
) -> None:
    """Luc (another organization) and Beat (purchasing: no invoices) miss Muster's ticket
    and invoice changes; what each gets first is the next event it may see."""
    _, b, _ = pair
    seed = live_sandbox.seed
    muster, lumiere = open_ticket(seed, MUSTER), open_ticket(seed, LUMIERE)
    intent = processing_payment(seed)
    async with (
        ws_client(b.url, await live_tokens("luc")) as luc,
        ws_client(b.url, await live_tokens("beat")) as beat,
        ws_client(b.url, await live_tokens("daniel")) as daniel,
    ):
        for client in (luc, beat, daniel):
            await client.start("1", CASES)
        await advance(live_sandbox, "crm", object="ticket", id=muster, to="WAITING_ON_CUSTOMER")
        await advance(live_sandbox, "payments", object="payment", id=intent.id, to="SUCCEEDED")
        seen = [(await daniel.next("1"))["data"]["caseUpdated"]["__typename"]]
        while seen[-1] != "Invoice":  # the ERP's reconciliation, polled by one replica
            seen.append((await daniel.next("1"))["data"]["caseUpdated"]["__typename"])
        await advance(live_sandbox, "crm", object="ticket", id=lumiere, to="WAITING_ON_CUSTOMER")
        await advance(live_sandbox, "crm", object="ticket", id=muster, to="IN_PROGRESS")
        luc_first = (await luc.next("1"))["data"]["caseUpdated"]
        beat_first = (await beat.next("1"))["data"]["caseUpdated"]
        beat_second = (await beat.next("1"))["data"]["caseUpdated"]
    numbers = {t.id: t.number for t in seed.tickets}
    assert seen[0] == "Ticket"
    assert luc_first == {"__typename": "Ticket", "number": numbers[lumiere]}
    assert beat_first == beat_second == {"__typename": "Ticket", "number": numbers[muster]}


async def test_after_a_payment_webhook_both_replicas_answer_the_new_invoice_state(
    live_sandbox: Sandbox, live_tokens: Tokens, pair: tuple[Replica, Replica, str]
) -> None:
    a, b, _ = pair
    intent = processing_payment(live_sandbox.seed)
    invoice_id, expected = invoice_after(live_sandbox.seed, intent)
    query = "query($id: ID!) { invoice(id: $id) { status amountResidual { amount } } }"
    body = {"query": query, "variables": {"id": global_id("Invoice", "erp", invoice_id)}}
    headers = {"Authorization": f"Bearer {await live_tokens('daniel')}"}

    async def invoice_on(url: str) -> Any:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=WAIT_S) as http:
            return (await http.post("/graphql", json=body)).json()["data"]["invoice"]

    cached = [await invoice_on(a.url), await invoice_on(b.url)]  # now in the shared cache
    await advance(live_sandbox, "payments", object="payment", id=intent.id, to="SUCCEEDED")
    fresh = [await invoice_on(a.url), await invoice_on(b.url)]
    assert expected not in cached
    assert fresh == [expected, expected]


async def test_a_subscriber_of_a_killed_replica_resumes_on_the_other_without_gap_or_duplicate(
    live_sandbox: Sandbox, live_tokens: Tokens, pair: tuple[Replica, Replica, str], redis_url: str
) -> None:
    a, _, prefix = pair
    token = await live_tokens("anna")
    received: list[str] = []
    with replica(live_sandbox, "replica-c", redis_url=redis_url, cache_prefix=prefix) as c:
        async with ws_client(c.url, token) as client:
            await client.start("1", MESSAGES)
            for index in range(3):
                await post_message(live_sandbox, f"gapless-{index}")
                payload = await client.next("1")
                received.append(payload["data"]["messageAdded"]["body"])
            cursor = payload["extensions"]["cursor"]
            c.kill()
    for index in range(3, 5):  # while the subscriber is away
        await post_message(live_sandbox, f"gapless-{index}")
    async with ws_client(a.url, token) as client:
        await client.start("1", MESSAGES, {"after": cursor})
        for _ in range(2):
            received.append((await client.next("1"))["data"]["messageAdded"]["body"])
        await post_message(live_sandbox, "gapless-5")
        received.append((await client.next("1"))["data"]["messageAdded"]["body"])
    assert received == [f"gapless-{index}" for index in range(6)]


async def published_erp_events(redis: Redis, prefix: str) -> list[str]:
    found = await redis.xrange(stream_key(prefix, "graph"))
    events = [json.loads(fields[b"d"]) for _, fields in found or [] if fields]
    return [e["event_id"] for e in events if e["source"] == "erp"]


async def wait_for(condition: Any, what: str, deadline_s: float = WAIT_S) -> Any:
    """Poll an async condition until it answers something truthy (bounded)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = await condition()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {deadline_s}s")


async def test_exactly_one_replica_polls_the_erp_and_the_other_takes_over(
    live_sandbox: Sandbox, redis_url: str, redis_client: Redis
) -> None:
    redis = redis_client
    prefix = new_prefix()
    shared = {"redis_url": redis_url, "cache_prefix": prefix}
    lease, record = f"{prefix}:lease:poll:erp", f"{prefix}:record:poll:erp"
    orders = [o for o in live_sandbox.seed.orders if o.customer == MUSTER][:2]
    try:
        with (
            replica(live_sandbox, "poller-1", **shared) as one,
            replica(live_sandbox, "poller-2", **shared) as two,
        ):
            replicas = {r.name: r for r in (one, two)}
            holder = text(await wait_for(lambda: redis.get(lease), "a lease"))

            async def polls() -> dict[str, int]:
                fields = {text(k): text(v) for k, v in (await redis.hgetall(record)).items()}
                return {k: int(v) for k, v in fields.items() if k.startswith("polls:")}

            await wait_for(lambda: _at_least(polls, f"polls:{holder}", 5), "five polls")
            assert set(await polls()) == {f"polls:{holder}"}  # the other never polled
            await advance(live_sandbox, "erp", object="order", id=orders[0].id, to="ON_HOLD")
            await wait_for(lambda: published_erp_events(redis, prefix), "the first change")

            replicas[holder].kill()
            killed_at = time.monotonic()
            [other] = [name for name in replicas if name != holder]
            await wait_for(lambda: _at_least(polls, f"polls:{other}", 1), "the takeover")
            takeover_s = time.monotonic() - killed_at
            assert text(await redis.get(lease)) == other
            await advance(live_sandbox, "erp", object="order", id=orders[1].id, to="ON_HOLD")
            await wait_for(lambda: _count_at_least(redis, prefix, 2), "the second change")
            published = await published_erp_events(redis, prefix)
    finally:
        delete_prefix(redis_url, prefix)
    ttl = LIVE_SETTINGS["poll_lease_ttl_s"]
    assert takeover_s <= ttl + LIVE_SETTINGS["erp_poll_interval_s"] + 1.0, takeover_s
    assert len(published) == len(set(published)) == 2  # each change once, none twice


def text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _at_least(read: Any, name: str, count: int) -> bool:
    return int((await read()).get(name, 0)) >= count


async def _count_at_least(redis: Redis, prefix: str, count: int) -> bool:
    return len(await published_erp_events(redis, prefix)) >= count
