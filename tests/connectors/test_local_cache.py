"""The read-through cache's first level in the process (`connectors.base.local`) in front of a
shared Redis and the sandbox CRM: a hot entry costs no round trip, and whatever invalidates
the shared cache (a write, a webhook, another replica's change) evicts it here too."""

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from connectors.base import records as r
from connectors.base.caching import CachedEntity, Entry, ReadThrough
from connectors.base.changes import Change
from connectors.base.local import Evicting, LocalEntries
from connectors.base.records import System
from connectors.crm import CrmAdapter
from infra.cache import RedisCache
from resolvers.invalidation import evict_locally
from resolvers.loaders import ENTITIES
from tests.clock import ManualClock
from tests.rest_fixtures import SandboxControl

TICKETS = "GET /api/v1/tickets"
TICKET = "TCK-1001"
ENTITY: CachedEntity[r.Ticket] = ENTITIES["ticket"]


class Seconds:
    """The first level's clock (monotonic seconds), moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Replica:
    read: ReadThrough
    local: LocalEntries
    shared: RedisCache
    seconds: Seconds

    async def ticket(self, adapter: CrmAdapter) -> r.Ticket:
        [outcome] = await self.read.get_many(ENTITY, [TICKET], adapter.get_tickets)
        assert isinstance(outcome, Entry), outcome
        assert outcome.value is not None
        return outcome.value

    def shared_lookups(self) -> int:
        return self.shared.stats.hits + self.shared.stats.misses


@pytest.fixture
async def replica(redis_url: str, redis_prefix: str) -> AsyncIterator[Replica]:
    seconds = Seconds()
    local = LocalEntries(ttl_s=1.0, max_entries=100, clock=seconds)
    shared = RedisCache.from_url(redis_url, redis_prefix)
    async with aclosing(ReadThrough(Evicting(shared, local), ManualClock(), local)) as read:
        yield Replica(read, local, shared, seconds)
    await shared.aclose()


async def test_a_hot_entry_is_served_from_the_process(
    replica: Replica, crm_adapter: CrmAdapter, crm_control: SandboxControl
) -> None:
    first = await replica.ticket(crm_adapter)
    lookups = replica.shared_lookups()

    again = await replica.ticket(crm_adapter)
    assert again is first  # the decoded record itself: no round trip, no decoding
    assert replica.shared_lookups() == lookups
    assert await crm_control.requests() == {TICKETS: 1}

    replica.seconds.now += 1.5  # past the first level's TTL: read from Redis again
    assert await replica.ticket(crm_adapter) == first
    assert replica.shared_lookups() == lookups + 1
    assert await crm_control.requests() == {TICKETS: 1}


async def test_an_invalidation_evicts_the_process_entry_too(
    replica: Replica, crm_adapter: CrmAdapter, crm_control: SandboxControl
) -> None:
    await replica.ticket(crm_adapter)
    await replica.read.cache.delete_many([ENTITY.key(TICKET)])  # as a write invalidates

    await replica.ticket(crm_adapter)
    assert await crm_control.requests() == {TICKETS: 2}


async def test_a_fill_racing_an_invalidation_is_not_kept(
    replica: Replica, crm_adapter: CrmAdapter, crm_control: SandboxControl
) -> None:
    generation = replica.local.generation

    async def read_then_evict(ids: list[str]) -> list[r.Ticket | None]:
        found = await crm_adapter.get_tickets(ids)
        await replica.read.cache.delete_many([ENTITY.key(TICKET)])  # a write lands meanwhile
        return found

    [outcome] = await replica.read.get_many(ENTITY, [TICKET], read_then_evict)
    assert isinstance(outcome, Entry)
    assert outcome.value is not None
    assert replica.local.generation > generation
    assert len(replica.local) == 0  # the old record was not put back in the process


def test_only_an_eviction_of_its_own_key_drops_a_fill() -> None:
    local = LocalEntries(ttl_s=5.0, max_entries=100)
    began = local.generation
    local.evict(keys=["fill-lock:other"], tags=["crm:tickets-of-customer#{x}"])
    local.put("a", 1, 5.0, "crm:tickets-of-customer#{y}", began)
    local.evict(keys=["b"])
    local.put("b", 2, 5.0, None, began)
    assert (local.get("a"), local.get("b")) == (1, None)


def test_a_change_from_another_replica_evicts_its_entries_and_lists() -> None:
    local = LocalEntries(ttl_s=5.0, max_entries=100)
    tickets = ENTITIES["tickets"]
    list_key = "0000100001|||"
    local.put(ENTITY.key(TICKET), "ticket", 5.0, None, local.generation)
    local.put(tickets.key(list_key), "list", 5.0, tickets.tag("0000100001"), local.generation)
    local.put(ENTITY.key("TCK-1002"), "other", 5.0, None, local.generation)

    change = Change(
        source=System.CRM,
        event_id="evt-1",
        kind="ticket.updated",
        entity="TICKET",
        entity_id=TICKET,
        occurred_at=datetime.now(UTC),
        customer="0000100001",
    )
    evict_locally(local, change)

    assert local.get(ENTITY.key(TICKET)) is None
    assert local.get(tickets.key(list_key)) is None
    assert local.get(ENTITY.key("TCK-1002")) == "other"


def test_the_first_level_is_bounded() -> None:
    local = LocalEntries(ttl_s=5.0, max_entries=3)
    for n in range(10):
        local.put(f"k{n}", n, 5.0, "tag" if n % 2 else None, local.generation)
    assert len(local) == 3
    assert [local.get(f"k{n}") for n in (7, 8, 9)] == [7, 8, 9]
    local.evict(tags=["tag"])
    assert [local.get(f"k{n}") for n in (7, 8, 9)] == [None, 8, None]
