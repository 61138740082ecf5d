"""Read-through caching of batch reads: what the cache holds is served from it, the rest is
fetched from the port in one batch and stored with the entity type's TTL.

Keys are `<system>:<entity>:<id>`; authorization runs after the cache (records carry their
customer), so one entry serves every tenant's check safely. `None` results are not cached.
An entity whose keys come in variants (a customer's list, once per filter) files each entry
under the tag of its group, so an event can drop all variants at once (`CachedEntity.tag`).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from infra.cache import Cache

T = TypeVar("T")


@dataclass(frozen=True)
class CachedEntity(Generic[T]):
    """How one entity type is cached: its key namespace, TTL and serialization."""

    namespace: str
    ttl_s: float
    codec: TypeAdapter[T]
    group_of: Callable[[str], str] | None = None
    """The group a key belongs to (a list key's customer), for entities stored in variants."""

    def key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    def tag(self, group: str) -> str:
        """The tag every entry of `group` is filed under."""
        return f"{self.namespace}#{group}"


async def read_through(
    cache: Cache,
    entity: CachedEntity[T],
    keys: Sequence[str],
    fetch: Callable[[list[str]], Awaitable[Sequence[T | None]]],
) -> list[T | None]:
    cached = await cache.get_many([entity.key(key) for key in keys])
    results: list[T | None] = []
    missing: list[str] = []
    for key, raw in zip(keys, cached, strict=True):
        value = _decode(entity, raw) if raw is not None else None
        results.append(value)
        if value is None:
            missing.append(key)
    if not missing:
        return results
    fetched = dict(zip(missing, await fetch(missing), strict=True))
    stored = {key: value for key, value in fetched.items() if value is not None}
    group_of = entity.group_of
    await cache.set_many(
        {entity.key(key): entity.codec.dump_json(value) for key, value in stored.items()},
        entity.ttl_s,
        {entity.key(key): entity.tag(group_of(key)) for key in stored} if group_of else None,
    )
    return [
        value if value is not None else fetched[key]
        for key, value in zip(keys, results, strict=True)
    ]


def _decode(entity: CachedEntity[T], raw: bytes) -> T | None:
    """A stored value, or `None` (a miss) when it no longer matches the record type."""
    try:
        return entity.codec.validate_json(raw)
    except ValidationError:
        return None
