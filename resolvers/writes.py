"""What mutations need besides the loaders: the idempotency store, cache invalidation,
`Problem`, a user error (field path, code, message) before the schema turns it into a
`UserError`, and `write_through`, which turns a system of record's refusal into problems.

Invalidation deletes the affected entries from the shared cache (the keys of
`resolvers.loaders.ENTITIES`), so that a query right after a mutation reads the change from
the system of record. A customer's list is deleted in its unfiltered form, the one
dashboards read; filtered variants expire with their short TTL.
"""

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from connectors.base.caching import CachedEntity
from connectors.base.errors import UpstreamError, UpstreamInvalid
from infra.cache import Cache
from infra.idempotency import IdempotencyStore
from resolvers.errors import client_failure
from resolvers.loaders import ListKey, Loaders
from resolvers.upstreams import Upstreams

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """A validation or business-rule failure, reported in the payload's `userErrors`."""

    field: tuple[str, ...]
    code: str
    message: str


@dataclass(frozen=True)
class Writes:
    upstreams: Upstreams
    idempotency: IdempotencyStore
    cache: Cache
    entities: Mapping[str, CachedEntity[Any]]

    async def invalidate(
        self, records: Mapping[str, Sequence[str]], lists: Mapping[str, str] | None = None
    ) -> None:
        """Delete the entries of `records` (entity name → IDs) and each customer's list
        (entity name → customer) from the shared cache."""
        keys = [self.entities[name].key(i) for name, ids in records.items() for i in ids]
        keys += [
            self.entities[name].key(ListKey(customer).cache_key())
            for name, customer in (lists or {}).items()
        ]
        await self.cache.delete_many(keys)


async def write_through(
    writes: Writes, loaders: Loaders, write: Awaitable[T], stale: Mapping[str, str]
) -> T | list[Problem]:
    """Await an upstream write. Refused by the system of record: its reasons as problems, each
    at the input field it names, and nothing was written. Otherwise the entries of `stale`
    (entity name → key) leave the shared cache and this request's loaders, so that what
    follows reads the change; an upstream failure (the write's outcome unknown, and never
    repeated) is then a top-level error."""
    try:
        result = await write
    except UpstreamInvalid as refused:
        return [Problem(input_path(v.field), v.code, v.message) for v in refused.violations]
    except UpstreamError as error:
        await _forget(writes, loaders, stale)
        raise client_failure(error) from error
    await _forget(writes, loaders, stale)
    return result


async def _forget(writes: Writes, loaders: Loaders, stale: Mapping[str, str]) -> None:
    await writes.invalidate({entity: [key] for entity, key in stale.items()})
    for entity, key in stale.items():
        loaders.forget(entity, key)


def input_path(field: str | None) -> tuple[str, ...]:
    """The input field a record field (`postal_code`) is given as (`input.postalCode`)."""
    if field is None:
        return ("input",)
    head, *rest = field.split("_")
    return ("input", head + "".join(part.title() for part in rest))
