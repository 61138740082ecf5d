"""What mutations need besides the loaders: the idempotency store, cache invalidation, and
`Problem`, a user error (field path, code, message) before the schema turns it into a
`UserError`.

Invalidation deletes the affected entries from the shared cache (the keys of
`resolvers.loaders.ENTITIES`), so that a query right after a mutation reads the change from
the system of record. A customer's list is deleted in its unfiltered form, the one
dashboards read; filtered variants expire with their short TTL.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base.caching import CachedEntity
from connectors.base.errors import UpstreamRefused
from infra.cache import Cache
from infra.idempotency import IdempotencyStore
from resolvers.loaders import ListKey
from resolvers.upstreams import Upstreams


@dataclass(frozen=True)
class Problem:
    """A validation or business-rule failure, reported in the payload's `userErrors`."""

    field: tuple[str, ...]
    code: str
    message: str


def text_problem(path: tuple[str, ...], value: str | None, limit: int) -> Problem | None:
    """Why a text input is refused (blank, or longer than `limit` characters), if it is."""
    if value is None or not value.strip():
        return Problem(path, "BLANK", "Write something here.")
    if len(value) > limit:
        return Problem(path, "TOO_LONG", f"Use at most {limit} characters.")
    return None


def refusal_problem(
    error: UpstreamRefused,
    record: tuple[str, ...],
    noun: str,
    fields: Mapping[str, tuple[str, ...]],
    conflict: str,
) -> Problem:
    """A write the upstream refused, as a user error in the upstream's own words: a value on
    its input field (`fields`: the record's field name → input path), an unknown record (as
    NOT_FOUND) or a state change (as `conflict`) on `record`, the input path of its ID."""
    if error.reason == "INVALID":
        return Problem(fields.get(error.field or "", ("input",)), "INVALID", error.message)
    if error.reason == "NOT_FOUND":
        return Problem(record, "NOT_FOUND", f"No {noun} with this ID exists.")
    return Problem(record, conflict, error.message)


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
