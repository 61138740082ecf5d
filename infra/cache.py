"""The gateway's cache: one protocol, a Redis implementation shared by every replica and an
in-memory one for a single process (the demo without Redis).

Values are bytes; keys are namespaced by the caller (`<system>:<entity>:<id>`) and prefixed
here, so several deployments (or test runs) can share one Redis. An entry may be filed under a
tag (`set_many(..., tags=...)`), so that `delete_tagged` drops a whole group of entries whose
keys the caller cannot list, such as every filtered variant of one customer's order list. On a
Redis Cluster a tag and its entries must share a hash slot: a tagged entry's key and its tag
carry the same hash tag (`{…}`, see `infra.topology`), as `CachedEntity` builds them.
"""

import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from infra.topology import RedisClient, by_slot, get_values, open_redis


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0

    def count(self, values: Sequence[bytes | None]) -> None:
        found = sum(value is not None for value in values)
        self.hits += found
        self.misses += len(values) - found


class Cache(Protocol):
    stats: CacheStats

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The value of each key, `None` where it is missing or expired, in key order."""
        ...

    async def set_many(
        self, items: Mapping[str, bytes], ttl_s: float, tags: Mapping[str, str] | None = None
    ) -> None:
        """Store each item for `ttl_s`; `tags` maps an item's key to the tag it is filed under."""
        ...

    async def add_many(self, items: Mapping[str, bytes], ttl_s: float) -> list[bool]:
        """Set each key only where it is absent (a short lock); whether it was set, in order."""
        ...

    async def delete_many(self, keys: Sequence[str]) -> None: ...

    async def delete_tagged(self, tags: Sequence[str]) -> None:
        """Delete every entry filed under any of these tags."""
        ...

    async def aclose(self) -> None: ...


class MemoryCache:
    """A bounded LRU with per-entry expiry, for one process."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self.stats = CacheStats()
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._tag_of: dict[str, str] = {}
        self._tagged: dict[str, set[str]] = {}

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        now = time.monotonic()
        values: list[bytes | None] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= now:
                self._entries.pop(key, None)
                values.append(None)
            else:
                self._entries.move_to_end(key)
                values.append(entry[1])
        self.stats.count(values)
        return values

    async def set_many(
        self, items: Mapping[str, bytes], ttl_s: float, tags: Mapping[str, str] | None = None
    ) -> None:
        expires = time.monotonic() + ttl_s
        for key, value in items.items():
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            tag = (tags or {}).get(key)
            if tag is not None:
                self._tag_of[key] = tag
                self._tagged.setdefault(tag, set()).add(key)
        while len(self._entries) > self._max_entries:
            self._forget(self._entries.popitem(last=False)[0])

    async def add_many(self, items: Mapping[str, bytes], ttl_s: float) -> list[bool]:
        now = time.monotonic()
        added = []
        for key, value in items.items():
            entry = self._entries.get(key)
            free = entry is None or entry[0] <= now
            if free:
                self._entries[key] = (now + ttl_s, value)
            added.append(free)
        return added

    async def delete_many(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._entries.pop(key, None)
            self._forget(key)

    async def delete_tagged(self, tags: Sequence[str]) -> None:
        for tag in tags:
            for key in self._tagged.pop(tag, set()):
                self._entries.pop(key, None)
                self._tag_of.pop(key, None)

    def _forget(self, key: str) -> None:
        tag = self._tag_of.pop(key, None)
        if tag is not None:
            self._tagged.get(tag, set()).discard(key)

    def clear(self) -> None:
        self._entries.clear()
        self._tag_of.clear()
        self._tagged.clear()

    async def aclose(self) -> None:
        self.clear()


_DELETE_TAGGED = """
for _, tag in ipairs(KEYS) do
  local members = redis.call('SMEMBERS', tag)
  for first = 1, #members, 500 do
    redis.call('DEL', unpack(members, first, math.min(first + 499, #members)))
  end
  redis.call('DEL', tag)
end
return #KEYS
"""
"""Atomic, so an entry stored while its tag is being dropped is not left untracked; its tags
and their entries are in one hash slot (one call per slot on a Redis Cluster)."""


class RedisCache:
    """Entries in Redis under `<prefix>:cache:`, tags as sets under `<prefix>:cache-tag:`; one
    round trip per batch (MGET, pipelined SET; per node on a Redis Cluster)."""

    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self.stats = CacheStats()
        self._redis = redis
        self._prefix = f"{prefix}:cache:"
        self._tag_prefix = f"{prefix}:cache-tag:"
        self._delete_tagged = redis.register_script(_DELETE_TAGGED)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> "RedisCache":
        """A client that fails fast, so that an outage costs a request at most a second."""
        return cls(open_redis(url, fail_fast=True), prefix)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        raw = await get_values(self._redis, [self._prefix + key for key in keys])
        values = [value.encode() if isinstance(value, str) else value for value in raw]
        self.stats.count(values)
        return values

    async def set_many(
        self, items: Mapping[str, bytes], ttl_s: float, tags: Mapping[str, str] | None = None
    ) -> None:
        if not items:
            return
        ttl_ms = max(1, int(ttl_s * 1000))
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(self._prefix + key, value, px=ttl_ms)
                tag = (tags or {}).get(key)
                if tag is not None:
                    # the tag outlives none of its entries: each write extends it to its TTL
                    pipe.sadd(self._tag_prefix + tag, self._prefix + key)
                    pipe.pexpire(self._tag_prefix + tag, ttl_ms)
            await pipe.execute()

    async def add_many(self, items: Mapping[str, bytes], ttl_s: float) -> list[bool]:
        if not items:
            return []
        ttl_ms = max(1, int(ttl_s * 1000))
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(self._prefix + key, value, px=ttl_ms, nx=True)
            return [bool(done) for done in await pipe.execute()]

    async def delete_many(self, keys: Sequence[str]) -> None:
        if keys:
            await self._redis.delete(*(self._prefix + key for key in keys))

    async def delete_tagged(self, tags: Sequence[str]) -> None:
        for same_slot in by_slot([self._tag_prefix + tag for tag in tags]):
            await self._delete_tagged(keys=same_slot)

    async def ping(self) -> None:
        await self._redis.ping()

    async def aclose(self) -> None:
        await self._redis.aclose()
