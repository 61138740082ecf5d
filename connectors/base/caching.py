"""Read-through caching of batch reads: what the cache holds is served from it, the rest is
fetched from the port in one batch and stored with the entity type's TTL.

Keys are `<system>:<entity>:<id>`; authorization runs after the cache (records carry their
customer), so one entry serves every tenant's check safely. `None` results are not cached; a
TTL of 0 switches caching off for the entity type. Hits and misses are counted per entity
type (`infra.metrics`) and per request (`infra.tally`).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from infra.cache import Cache
from infra.metrics import count_cache
from infra.tally import tally_cache

T = TypeVar("T")


@dataclass(frozen=True)
class CachedEntity(Generic[T]):
    """How one entity type is cached: its key namespace, TTL and serialization."""

    namespace: str
    ttl_s: float
    codec: TypeAdapter[T]

    def key(self, key: str) -> str:
        return f"{self.namespace}:{key}"


async def read_through(
    cache: Cache,
    entity: CachedEntity[T],
    keys: Sequence[str],
    fetch: Callable[[list[str]], Awaitable[Sequence[T | None]]],
) -> list[T | None]:
    if entity.ttl_s <= 0:  # caching switched off for this entity type
        return list(await fetch(list(keys)))
    cached = await cache.get_many([entity.key(key) for key in keys])
    results: list[T | None] = []
    missing: list[str] = []
    for key, raw in zip(keys, cached, strict=True):
        value = _decode(entity, raw) if raw is not None else None
        results.append(value)
        if value is None:
            missing.append(key)
    count_cache(entity.namespace, len(keys) - len(missing), len(missing))
    tally_cache(len(keys) - len(missing), len(missing))
    if not missing:
        return results
    fetched = dict(zip(missing, await fetch(missing), strict=True))
    await cache.set_many(
        {
            entity.key(key): entity.codec.dump_json(value)
            for key, value in fetched.items()
            if value is not None
        },
        entity.ttl_s,
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
