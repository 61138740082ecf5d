"""Three gateway replicas behind nginx on a Redis Cluster and on a Sentinel group: what is
shared is shared. A cache entry one replica filled serves the others; each webhook's event is
handed to one replica's consumer once; subscribers on every replica (and through nginx's
WebSocket upgrade) get every event they may see; rate limits count across replicas; an
idempotency key used on one replica replays on another; one replica polls the ERP."""

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest

from infra.coordination import RedisCoordination
from infra.events import stream_key
from infra.topology import RedisClient
from portalgraph.pipeline import GROUP, INBOX
from sandbox.seed import LUMIERE, MUSTER
from sandbox.server import Sandbox
from tests.e2e.test_payment_mutations import CREATE, allocation, payable, post_count, session
from tests.live_stack import advance, open_ticket, post_message
from tests.redis_topologies import REPLICAS, Bed, replicas_behind_nginx, shared
from tests.stack import GraphQLClient, Tokens, Upstream, without_sources
from tests.waiting import wait_until
from tests.ws_client import ws_client

RATE_LIMIT = 30
"""Operations per caller and window on the bed; the rate-limit test's caller (carla) is used
by no other test here."""
WAIT_S = 15.0
MESSAGES = "subscription { messageAdded { body } }"
CASES = "subscription { caseUpdated { __typename number } }"


@pytest.fixture(scope="module", params=["cluster", "sentinel"])
def bed(request: pytest.FixtureRequest, live_sandbox: Sandbox) -> Iterator[Bed]:
    settings = {"rate_limit_per_principal": RATE_LIMIT, "events_min_replicas": 1}
    with replicas_behind_nginx(live_sandbox, shared(request, request.param), **settings) as bed:
        yield bed


@pytest.fixture
async def redis(bed: Bed) -> AsyncIterator[RedisClient]:
    client = bed.redis()
    yield client
    await client.aclose()


async def test_a_cache_entry_one_replica_filled_serves_the_others(
    bed: Bed, live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    """Marco's organization is read by this test only: the first replica reads it from the
    ERP, the others from the shared cache."""
    upstream = Upstream(live_sandbox)
    query = "{ viewer { organization { number legalName creditStatus } } }"
    token = await live_tokens("marco")
    answers, reads = [], []
    for replica in bed.replicas:
        before = upstream.counts("erp").get("GetCustomers", 0)
        client = GraphQLClient(replica.url, token)
        answers.append(await client.query(query))
        await client.aclose()
        reads.append(upstream.counts("erp").get("GetCustomers", 0) - before)
    assert reads == [1, 0, 0]
    assert answers[0] == answers[1] == answers[2]


async def test_each_event_is_handed_to_one_replica_once(
    bed: Bed, live_sandbox: Sandbox, redis: RedisClient
) -> None:
    """Twelve webhooks through nginx (round robin over the replicas): each is appended once,
    handed to one consumer of the group once (Redis counts the hand-outs) and published once."""
    inbox, graph = stream_key(bed.prefix, INBOX), stream_key(bed.prefix, "graph")
    inbox_from, graph_from = await last_id(redis, inbox), await last_id(redis, graph)
    for index in range(12):
        await post_message(live_sandbox, f"once-{index}")
    appended = await event_ids(redis, inbox, inbox_from)

    async def group() -> Any:
        [found] = [g for g in await redis.xinfo_groups(inbox) if text(g["name"]) == GROUP]
        return found

    async def all_published_and_acknowledged() -> bool:
        """A consumer acknowledges an entry only after publishing it."""
        published = await event_ids(redis, graph, graph_from)
        return len(published) >= len(appended) and (await group())["pending"] == 0

    await wait_until(all_published_and_acknowledged, WAIT_S)
    published = await event_ids(redis, graph, graph_from)
    handed_out = await group()
    consumers = {text(c["name"]) for c in await redis.xinfo_consumers(inbox, GROUP)}
    added = (await redis.xinfo_stream(inbox))["entries-added"]
    assert len(appended) == len(set(appended)) == 12
    assert sorted(published) == sorted(appended)  # each published, none twice
    assert handed_out["entries-read"] == added  # every entry handed out once, none again
    assert (handed_out["pending"], handed_out["lag"]) == (0, 0)
    assert consumers == set(REPLICAS)


async def test_subscribers_on_every_replica_get_every_event_they_may_see(
    bed: Bed, live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    """Anna (Muster) gets both of Muster's messages on each replica and through nginx; Luc
    (Lumière) sees Muster's ticket change nowhere, and Lumière's everywhere."""
    anna, luc = await live_tokens("anna"), await live_tokens("luc")
    urls = [replica.url for replica in bed.replicas] + [bed.balancer]
    seed = live_sandbox.seed
    lumiere_number = next(t.number for t in seed.tickets if t.id == open_ticket(seed, LUMIERE))
    async with (
        ws_client(urls[0], anna) as a0, ws_client(urls[1], anna) as a1,
        ws_client(urls[2], anna) as a2, ws_client(urls[3], anna) as a3,
        ws_client(urls[0], luc) as l0, ws_client(urls[1], luc) as l1,
        ws_client(urls[2], luc) as l2, ws_client(urls[3], luc) as l3,
    ):  # fmt: skip
        annas, lucs = [a0, a1, a2, a3], [l0, l1, l2, l3]
        for client in annas:
            await client.start("m", MESSAGES)
        for client in lucs:
            await client.start("c", CASES)
        await wait_until(lambda: bed.subscribed(len(annas) + len(lucs)), WAIT_S)
        ticket = open_ticket(seed, MUSTER)
        await post_message(live_sandbox, "everywhere-1")
        await advance(live_sandbox, "crm", object="ticket", id=ticket, to="WAITING_ON_CUSTOMER")
        await post_message(live_sandbox, "everywhere-2")
        await advance(live_sandbox, "crm", object="ticket", id=ticket, to="IN_PROGRESS")
        lumiere = open_ticket(seed, LUMIERE)
        await advance(live_sandbox, "crm", object="ticket", id=lumiere, to="WAITING_ON_CUSTOMER")
        got = [[(await c.next("m"))["data"]["messageAdded"]["body"] for _ in range(2)]
               for c in annas]  # fmt: skip
        luc_first = [(await c.next("c"))["data"]["caseUpdated"] for c in lucs]
        await advance(live_sandbox, "crm", object="ticket", id=lumiere, to="IN_PROGRESS")
    assert [sorted(bodies) for bodies in got] == [["everywhere-1", "everywhere-2"]] * 4
    assert luc_first == [{"__typename": "Ticket", "number": lumiere_number}] * 4


async def test_rate_limits_count_across_replicas(bed: Bed, live_tokens: Tokens) -> None:
    """A third of the limit on each replica uses it up: the next request is refused on any."""
    token = await live_tokens("carla")
    clients = [GraphQLClient(replica.url, token) for replica in bed.replicas]
    statuses = []
    for client in clients:
        for _ in range(RATE_LIMIT // 3):
            statuses.append((await client.post("{ viewer { roles } }")).status_code)
    refused = [await client.post("{ viewer { roles } }") for client in clients]
    for client in clients:
        await client.aclose()
    assert statuses == [200] * RATE_LIMIT
    assert [answer.status_code for answer in refused] == [429, 429, 429]
    assert all(int(answer.headers["Retry-After"]) > 0 for answer in refused)


async def test_an_idempotency_key_used_on_one_replica_replays_on_another(
    bed: Bed, live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    token = await live_tokens("daniel", mfa=True)
    first, second = (GraphQLClient(replica.url, token) for replica in bed.replicas[:2])
    invoice = (await payable(first))[0]
    variables = session([allocation(invoice, Decimal("1.00"))], key=str(uuid.uuid4()))
    before = post_count(live_sandbox)
    on_first = without_sources((await first.post(CREATE, variables)).json())
    on_second = without_sources((await second.post(CREATE, variables)).json())
    await first.aclose()
    await second.aclose()
    assert on_first["data"]["createPaymentSession"]["payment"]["id"]
    assert on_second == on_first
    assert post_count(live_sandbox) == before + 1  # one payment at the provider


async def test_one_replica_holds_the_erp_poller_lease(bed: Bed, redis: RedisClient) -> None:
    coordination = RedisCoordination(redis, bed.prefix)
    record = "poll:erp"

    async def polls() -> dict[str, int]:
        fields = await coordination.load(record)
        return {k.removeprefix("polls:"): int(v) for k, v in fields.items() if "polls:" in k}

    async def holder_polled_five_times() -> bool:
        holder = await coordination.holder(record)
        return holder is not None and (await polls()).get(holder, 0) >= 5

    await wait_until(holder_polled_five_times, WAIT_S)
    holder = await coordination.holder(record)
    assert holder in REPLICAS
    assert set(await polls()) == {holder}  # the others never polled


async def last_id(redis: RedisClient, key: str) -> str:
    found: Any = await redis.xrevrange(key, count=1)
    return text(found[0][0]) if found else "0-0"


async def event_ids(redis: RedisClient, key: str, after: str) -> list[str]:
    """The source event ids of a stream's entries after `after`."""
    found: Any = await redis.xrange(key, min=f"({after}")
    return [json.loads(fields[b"d"])["event_id"] for _, fields in found]


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
