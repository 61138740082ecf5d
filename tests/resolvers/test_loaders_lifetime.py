"""A request's loaders, with the records and futures they hold, are freed by reference
counting once the request lets go of them: no reference cycle leaves them to the collector
(portalgraph/collector.py)."""

import gc
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from connectors.base.caching import CachedEntity, Entry
from resolvers.loaders import ENTITIES, Loaders
from resolvers.upstreams import Upstreams

NOW = datetime(2026, 11, 23, tzinfo=UTC)


class Record:
    def __init__(self, key: str) -> None:
        self.key = key


class Read:
    """The read-through cache, always missing."""

    async def get_many(
        self, entity: CachedEntity[Any], keys: Sequence[str], fetch: Callable[..., Any]
    ) -> list[Entry[Any]]:
        return [Entry(value, NOW) for value in await fetch(list(keys))]


async def customers(keys: list[str]) -> list[Record]:
    return [Record(key) for key in keys]


async def addresses(keys: list[str]) -> list[list[Record]]:
    return [[Record(key)] for key in keys]


async def spend(system: str) -> None:
    pass


@contextmanager
def without_collector() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_loaders_are_freed_without_the_collector() -> None:
    organizations = SimpleNamespace(get_customers=customers, addresses_of=addresses)
    upstreams = cast(Upstreams, SimpleNamespace(organizations=organizations))
    with without_collector():
        loaders = Loaders(upstreams, cast(Any, Read()), ENTITIES, spend)
        customer = await loaders.customer.load("C1")
        assert len(await loaders.addresses.load("C1")) == 1
        freed: list[weakref.ref[Any]] = [
            weakref.ref(loaders),
            weakref.ref(loaders.addresses),
            weakref.ref(customer),
        ]
        del loaders, customer
        assert [ref() for ref in freed] == [None, None, None]
