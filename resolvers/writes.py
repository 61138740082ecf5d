"""What mutations need besides the loaders: the idempotency store, cache invalidation,
`Problem`, a user error (field path, code, message) before the schema turns it into a
`UserError`, `write_through`, which turns a system of record's refusal into problems,
and the shape of an e-mail address mutations accept.

Invalidation deletes the affected entries from the shared cache (the keys of
`resolvers.loaders.ENTITIES`), so that a query right after a mutation reads the change from
the system of record. A customer's list is deleted in its unfiltered form, the one
dashboards read (filtered variants expire with their short TTL), or under any filter when
its group is named.
"""

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from connectors.base.caching import CachedEntity
from connectors.base.errors import UpstreamError, UpstreamRefused
from infra.cache import Cache
from infra.idempotency import IdempotencyStore
from resolvers.analytics_notes import AnalyticsNotes
from resolvers.errors import client_failure
from resolvers.loaders import ListKey, Loaders
from resolvers.upstreams import Upstreams

T = TypeVar("T")
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
    notes: AnalyticsNotes
    """Who revoked ANALYTICS, for the usage counters (`resolvers.consents`)."""

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


async def write_through(
    writes: Writes,
    loaders: Loaders,
    write: Awaitable[T],
    records: Mapping[str, Sequence[str]],
    lists: Mapping[str, str] | None = None,
    restate: Callable[[Problem], Problem] | None = None,
) -> T | list[Problem]:
    """Await an upstream write. Refused by the system of record: its reasons as problems, each
    at the input field it names (`restate` may word them as the mutation's own checks do),
    and nothing was written. Otherwise the `records` (entity name → keys) and the customers'
    `lists` (entity name → customer) leave the shared cache, and the records this request's
    loaders too, so that what follows reads the change; an upstream failure (the write's
    outcome unknown, and never repeated) is then a top-level error."""
    try:
        result = await write
    except UpstreamRefused as refused:
        problems = refusal_problems(refused)
        return [restate(problem) for problem in problems] if restate else problems
    except UpstreamError as error:
        await _forget(writes, loaders, records, lists)
        raise client_failure(error) from error
    await _forget(writes, loaders, records, lists)
    return result


async def _forget(
    writes: Writes,
    loaders: Loaders,
    records: Mapping[str, Sequence[str]],
    lists: Mapping[str, str] | None,
) -> None:
    await writes.invalidate(records, lists)
    for entity, keys in records.items():
        for key in keys:
            loaders.forget(entity, key)


def refusal_problems(refused: UpstreamRefused) -> list[Problem]:
    """A system's refusal as problems, each at the input field it names."""
    return [Problem(input_path(r.field), r.code, r.message) for r in refused.refusals]


def input_path(field: str | None) -> tuple[str, ...]:
    """The input field a refused field (`postal_code`, `lines.0.product_code`) is given as
    (`input.postalCode`, `input.lines.0.productCode`)."""
    if field is None:
        return ("input",)
    return ("input", *(_camel(part) for part in field.split(".")))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
