"""The read-through cache in front of a real upstream (the sandbox CRM): one upstream call per
cold key in a process and across replicas sharing Redis, stale data when the upstream fails,
and stale-while-revalidate. The cache's clock is one the test moves, so entries age without
waiting; the sandbox's counters show the upstream traffic."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing

import pytest
from pydantic import TypeAdapter

from connectors.base import records as r
from connectors.base.caching import CachedEntity, Entry, Outcome, ReadThrough
from connectors.base.errors import UpstreamUnavailable
from connectors.base.local import Evicting, LocalEntries
from connectors.base.records import System
from connectors.crm import CrmAdapter
from infra.cache import MemoryCache, RedisCache
from tests.clock import ManualClock
from tests.rest_fixtures import CRM_TOKEN, SandboxControl, bearer_client, fast_guard
from tests.waiting import wait_until

WAIT_S = 10.0
TICKETS = "GET /api/v1/tickets"
TICKET = "TCK-1001"
ENTITY: CachedEntity[r.Ticket] = CachedEntity("crm:ticket", 10, TypeAdapter(r.Ticket), 60)


@pytest.fixture
async def crm_adapter(crm_url: str) -> AsyncIterator[CrmAdapter]:
    async with aclosing(
        CrmAdapter(bearer_client(crm_url, CRM_TOKEN), fast_guard(System.CRM))
    ) as adapter:
        yield adapter


def entry(outcome: Outcome[r.Ticket]) -> Entry[r.Ticket]:
    assert isinstance(outcome, Entry), outcome
    return outcome


async def read(cache: ReadThrough, adapter: CrmAdapter) -> Outcome[r.Ticket]:
    [outcome] = await cache.get_many(ENTITY, [TICKET], adapter.get_tickets)
    return outcome


async def test_concurrent_misses_for_one_key_make_one_upstream_call(
    crm_adapter: CrmAdapter, crm_control: SandboxControl
) -> None:
    await crm_control.set_faults(latency_ms=200)
    async with aclosing(ReadThrough(MemoryCache(), ManualClock())) as cache:
        outcomes = await asyncio.gather(*(read(cache, crm_adapter) for _ in range(10)))

    values = [entry(outcome).value for outcome in outcomes]
    assert all(value is not None and value.id == TICKET for value in values)
    assert await crm_control.requests() == {TICKETS: 1}


async def test_replicas_sharing_redis_fill_a_cold_key_once(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, redis_url: str, redis_prefix: str
) -> None:
    await crm_control.set_faults(latency_ms=200)
    clock = ManualClock()
    replica_a = ReadThrough(RedisCache.from_url(redis_url, redis_prefix), clock)
    replica_b = ReadThrough(RedisCache.from_url(redis_url, redis_prefix), clock)
    async with aclosing(replica_a), aclosing(replica_b):
        outcomes = await asyncio.gather(
            *(read(replica, crm_adapter) for replica in [replica_a, replica_b] * 4)
        )
        await replica_a.cache.aclose()
        await replica_b.cache.aclose()

    assert all(entry(outcome).value is not None for outcome in outcomes)
    assert await crm_control.requests() == {TICKETS: 1}


async def test_a_failing_system_is_answered_from_stale_entries(
    crm_adapter: CrmAdapter, crm_control: SandboxControl
) -> None:
    clock = ManualClock()
    async with aclosing(ReadThrough(MemoryCache(), clock)) as cache:
        fresh = entry(await read(cache, crm_adapter))
        await crm_control.set_faults(mode="down")
        clock.advance(3 * ENTITY.ttl_s)  # past the stale-while-revalidate window
        stale = entry(await read(cache, crm_adapter))
        clock.advance(ENTITY.max_stale_s)  # past the stale window
        failed = await read(cache, crm_adapter)

    assert not fresh.stale
    assert (stale.value, stale.as_of, stale.stale) == (fresh.value, fresh.as_of, True)
    assert isinstance(failed, UpstreamUnavailable)
    assert await crm_control.requests() == {TICKETS: 1 + 2 + 2}  # fill, then 2 tries each


async def test_past_its_ttl_an_entry_is_served_at_once_and_refreshed_once(
    crm_adapter: CrmAdapter, crm_control: SandboxControl
) -> None:
    clock = ManualClock()
    async with aclosing(ReadThrough(MemoryCache(), clock)) as cache:
        fresh = entry(await read(cache, crm_adapter))
        await crm_control.reset_stats()
        await crm_control.set_faults(latency_ms=200)
        clock.advance(1.5 * ENTITY.ttl_s)
        served = [
            entry(o) for o in await asyncio.gather(*(read(cache, crm_adapter) for _ in range(5)))
        ]

        async def refreshed() -> bool:
            return entry(await read(cache, crm_adapter)).as_of != fresh.as_of

        await wait_until(refreshed)
        latest = entry(await read(cache, crm_adapter))

    assert all(not item.stale and item.as_of == fresh.as_of for item in served)
    assert latest.as_of == clock.now
    assert await crm_control.requests() == {TICKETS: 1}


class Gate:
    """A fetch of the sandbox's ticket that holds its answer until the test opens the gate:
    a slow fill, overtaken by what happens meanwhile."""

    def __init__(self, adapter: CrmAdapter) -> None:
        self.adapter = adapter
        self.read = asyncio.Event()
        self.open = asyncio.Event()

    async def __call__(self, ids: list[str]) -> Sequence[r.Ticket | None]:
        found = await self.adapter.get_tickets(ids)
        self.read.set()
        await self.open.wait()
        return found


async def test_a_fill_overtaken_by_an_invalidation_hands_over_to_the_replica_waiting(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, redis_url: str, redis_prefix: str
) -> None:
    """Replica A reads the ticket; a write's invalidation lands before A stores it, while
    replica B waits for A's fill: B reads the ticket itself, and A's late answer is not stored
    over B's. (Each replica's clock stamps its own reads.)"""
    clock_a, clock_b = ManualClock(), ManualClock()
    clock_b.advance(1)
    shared_a = RedisCache.from_url(redis_url, redis_prefix)
    shared_b = RedisCache.from_url(redis_url, redis_prefix)
    gate = Gate(crm_adapter)

    async def b_polls_the_claim() -> bool:
        return shared_b.stats.misses >= 2  # its read, then a look at A's fill

    async with (
        aclosing(ReadThrough(shared_a, clock_a)) as a,
        aclosing(ReadThrough(shared_b, clock_b)) as b,
    ):
        slow = asyncio.create_task(a.get_many(ENTITY, [TICKET], gate))
        await asyncio.wait_for(gate.read.wait(), WAIT_S)
        waiting = asyncio.create_task(read(b, crm_adapter))
        await wait_until(b_polls_the_claim)
        await shared_a.delete_many([ENTITY.key(TICKET)])  # the write's invalidation
        handed_over = entry(await asyncio.wait_for(waiting, WAIT_S))
        gate.open.set()
        [late] = await slow
        kept = entry(await read(a, crm_adapter))
        await shared_a.aclose()
        await shared_b.aclose()

    assert handed_over.as_of == clock_b.now  # B read the ticket itself
    assert entry(late).as_of == clock_a.now  # A's answer went to A's caller only
    assert kept.as_of == clock_b.now
    assert await crm_control.requests() == {TICKETS: 2}


async def test_a_read_begun_after_an_invalidation_does_not_share_the_fill_it_overtook(
    crm_adapter: CrmAdapter, crm_control: SandboxControl
) -> None:
    clock = ManualClock()
    local = LocalEntries(ttl_s=0, max_entries=0)  # evictions only, as the gateway wires it
    cache = Evicting(MemoryCache(), local)
    gate = Gate(crm_adapter)
    async with aclosing(ReadThrough(cache, clock, local)) as replica:
        slow = asyncio.create_task(replica.get_many(ENTITY, [TICKET], gate))
        await asyncio.wait_for(gate.read.wait(), WAIT_S)
        await cache.delete_many([ENTITY.key(TICKET)])  # a write lands while the fill reads
        clock.advance(1)
        fresh = entry(await asyncio.wait_for(read(replica, crm_adapter), WAIT_S))
        clock.advance(1)
        gate.open.set()
        [late] = await slow
        kept = entry(await read(replica, crm_adapter))

    assert entry(late).as_of == clock.now  # the slow fill ended last
    assert kept.as_of == fresh.as_of < clock.now  # and was not stored over the fresh read
    assert await crm_control.requests() == {TICKETS: 2}
