"""What mutations need besides the loaders: the idempotency store, cache invalidation,
`Problem`, a user error (field path, code, message) before the schema turns it into a
`UserError`, and the shape of an e-mail address they accept.

Invalidation deletes the affected entries from the shared cache (the keys of
`resolvers.loaders.ENTITIES`), so that a query right after a mutation reads the change from
the system of record. A customer's list is deleted in its unfiltered form, the one
dashboards read (filtered variants expire with their short TTL), or under any filter when
its group is named.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base.caching import CachedEntity
from infra.cache import Cache
from infra.idempotency import IdempotencyStore
from resolvers.loaders import ListKey
from resolvers.upstreams import Upstreams

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


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
        self,
        records: Mapping[str, Sequence[str]],
        lists: Mapping[str, str] | None = None,
        groups: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Delete the entries of `records` (entity name → IDs), each customer's unfiltered
        list (entity name → customer) and every variant of `groups` (entity name → groups,
        such as a customer's lists under any filter) from the shared cache."""
        keys = [self.entities[name].key(i) for name, ids in records.items() for i in ids]
        keys += [
            self.entities[name].key(ListKey(customer).cache_key())
            for name, customer in (lists or {}).items()
        ]
        await self.cache.delete_many(keys)
        tags = [self.entities[name].tag(g) for name, names in (groups or {}).items() for g in names]
        if tags:
            await self.cache.delete_tagged(tags)
