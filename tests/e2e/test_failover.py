"""Redis fails over under load: three replicas behind nginx serve dashboards, take webhooks
and push messages to subscribers while the primary of a Sentinel group, or the Redis Cluster
primary holding the event inbox, is killed. Queries keep being answered (cache misses go
upstream), no webhook the gateway acknowledged is lost (acknowledged means on a replica too,
`events_min_replicas`), and subscriptions go on from where they were once a replica is
promoted. Each failover has a topology of its own and is bounded in time; the killed server
comes back as a replica, as an orchestrator would restart it."""

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bench.load import Answer, drive
from bench.redis_server import RedisProcess
from bench.topologies import LocalCluster
from infra.events import stream_key
from portalgraph.pipeline import INBOX
from sandbox.server import Sandbox
from tests.live_stack import post_message
from tests.redis_topologies import Bed, Topology, replicas_behind_nginx, topology
from tests.stack import Tokens
from tests.waiting import wait_until
from tests.ws_client import ws_client

FAILOVER_DEADLINE_S = 20.0
"""From the kill to a promoted replica that serves, and again to a healthy topology."""
DELIVERY_DEADLINE_S = 60.0
"""For each message to reach a subscriber: generous, as the bed, the load and the sandbox
share two cores, and a subscriber's replica resumes its stream only after the promotion."""
SUBSCRIBE_DEADLINE_S = 10.0
"""For both subscriptions to be taken by their replicas."""
LOAD_S = 14.0
PATIENCE_S = 25.0
"""How long the sandbox retries a refused webhook (below `advance`'s 30 s timeout)."""
MESSAGES = "subscription { messageAdded { body } }"
ORDERS = "{ orders(first: 5) { edges { node { number status total { amount } } } } }"
"""The load: light, as the whole bed and the sandbox share two cores with it."""
SETTINGS = {
    "events_min_replicas": 1,
    "rate_limit_per_principal": 10**6,  # the load measures serving, not the limits
    "rate_limit_per_organization": 10**6,
}


@pytest.fixture(params=["cluster", "sentinel"])
def failing(request: pytest.FixtureRequest, live_sandbox: Sandbox) -> Iterator[Bed]:
    hooks = live_sandbox.webhooks
    with (
        topology(request.param) as own,
        replicas_behind_nginx(live_sandbox, own, **SETTINGS) as bed,
    ):
        hooks.patience_s = PATIENCE_S
        try:
            yield bed
        finally:
            hooks.patience_s = 0.0


def primary_to_kill(redis_topology: Topology, prefix: str) -> RedisProcess:
    if isinstance(redis_topology, LocalCluster):
        return redis_topology.primary_of(stream_key(prefix, INBOX))
    return redis_topology.primary()


async def test_a_failover_under_load_loses_nothing_acknowledged(
    failing: Bed, live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    bed, hooks = failing, live_sandbox.webhooks
    token = await live_tokens("anna")
    answers: list[tuple[float, float, bool]] = []

    def observe(sent: float, took_ms: float, response: Answer) -> None:
        answers.append((sent, sent + took_ms / 1000, not response.failed))

    bodies = [f"failover-{index}" for index in range(12)]
    logged = len(hooks.acknowledged)
    async with (
        ws_client(bed.balancer, token) as through_nginx,
        ws_client(bed.replicas[2].url, token) as direct,
    ):
        for client in (through_nginx, direct):
            await client.start("m", MESSAGES)
        await wait_until(lambda: bed.subscribed(2), SUBSCRIBE_DEADLINE_S)
        load = asyncio.create_task(drive(bed.balancer, token, ORDERS, 1, LOAD_S, observe))
        for body in bodies[:3]:
            await post_message(live_sandbox, body)
        killed = primary_to_kill(bed.topology, bed.prefix)
        await asyncio.to_thread(killed.kill)
        killed_at = time.monotonic()
        posting = asyncio.create_task(post_all(live_sandbox, bodies[3:9]))
        await asyncio.to_thread(bed.topology.wait_failover, killed, FAILOVER_DEADLINE_S)
        promoted_at = time.monotonic()
        await asyncio.to_thread(killed.start)  # back as a replica of the promoted server
        await asyncio.to_thread(bed.topology.wait_healthy, FAILOVER_DEADLINE_S)
        healthy_at = time.monotonic()
        await posting
        await post_all(live_sandbox, bodies[9:])
        received = [
            [body_of(await c.next("m", DELIVERY_DEADLINE_S)) for _ in bodies]
            for c in (through_nginx, direct)
        ]
        result = await load
    acknowledged = list(hooks.acknowledged)[logged:]
    published = await published_ids(bed, set(acknowledged))

    assert promoted_at - killed_at < FAILOVER_DEADLINE_S
    assert healthy_at - promoted_at < FAILOVER_DEADLINE_S
    assert len(acknowledged) == len(bodies)  # every message's webhook, in the end
    assert published == set(acknowledged), await inbox_state(bed)  # none acknowledged and lost
    assert [sorted(got) for got in received] == [sorted(bodies)] * 2  # no gap, no duplicate
    # in flight while the primary was down (one slow answer may span the whole outage)
    during = [ok for sent, done, ok in answers if sent < promoted_at and done > killed_at]
    assert result.errors == 0, f"{result.errors} of {result.requests} answers failed"
    assert during, "no query was answered while the primary was down"


async def post_all(sandbox: Sandbox, bodies: list[str]) -> None:
    """Post the messages one after the other; each returns once its webhook is acknowledged."""
    for body in bodies:
        await post_message(sandbox, body)


async def published_ids(bed: Bed, expected: set[str]) -> set[str]:
    """Which of `expected` are in the graph stream, once all are (or at the deadline)."""
    redis = bed.redis()
    found: set[str] = set()

    async def all_there() -> bool:
        entries: Any = await redis.xrange(stream_key(bed.prefix, "graph"))
        found.update(json.loads(fields[b"d"])["event_id"] for _, fields in entries)
        return expected <= found

    try:
        await wait_until(all_there, FAILOVER_DEADLINE_S, interval_s=0.2)
    except TimeoutError:
        pass  # the assertion names what is missing
    finally:
        await redis.aclose()
    return found & expected


async def inbox_state(bed: Bed) -> str:
    """What the inbox holds and who still owes an acknowledgement: for a failure's message."""
    redis = bed.redis()
    try:
        key = stream_key(bed.prefix, INBOX)
        entries: Any = await redis.xrange(key)
        pending: Any = await redis.xpending_range(key, "processors", min="-", max="+", count=100)
    finally:
        await redis.aclose()
    ids = [json.loads(fields[b"d"]).get("event_id") for _, fields in entries]
    return f"inbox event ids {ids}; pending {pending}"


def body_of(payload: dict[str, Any]) -> str:
    assert payload.get("data") is not None, json.dumps(payload)
    return str(payload["data"]["messageAdded"]["body"])
