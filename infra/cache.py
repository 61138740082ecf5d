"""The gateway's cache: one protocol, a Redis implementation shared by every replica and an
in-memory one for a single process (the demo without Redis).

Values are bytes; keys are namespaced by the caller (`<system>:<entity>:<id>`) and prefixed
here, so several deployments (or test runs) can share one Redis. An entry may be filed under a
tag (`set_many(..., tags=...)`), so that `delete_tagged` drops a whole group of entries whose
keys the caller cannot list, such as every filtered variant of one customer's order list. On a
Redis Cluster a tag and its entries must share a hash slot: a tagged entry's key and its tag
carry the same hash tag (`{…}`, see `infra.topology`), as `CachedEntity` builds them.

A read-through fill claims the keys it is about to fetch (`claim_many`) and stores what it
fetched only where its claim still holds (`fill_many`). Deleting a key, or a tag it is filed
under, releases its claim, so a fill that began before an invalidation cannot store what it read
before it: the next read fetches again. On a Redis Cluster a key and its claim share a hash slot
only when the key carries a hash tag, as every key `CachedEntity` builds does.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from infra.topology import RedisClient, get_values, in_slots, open_redis


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

    async def claim_many(self, keys: Sequence[str], claim: "FillClaim", ttl_s: float) -> list[bool]:
        """Claim each key for a fill, for at most `ttl_s`, where no claim is held; whether it was
        claimed, in key order."""
        ...

    async def get_claimed(self, keys: Sequence[str]) -> list[tuple[bytes | None, bool]]:
        """Each key's value (as `get_many`) and whether a fill claim on it is held."""
        ...

    async def fill_many(
        self, items: Mapping[str, bytes | None], claim: "FillClaim", ttl_s: float
    ) -> None:
        """Store each item (`None`: nothing to store) for `ttl_s` where `claim` still holds,
        and release those claims."""
        ...

    async def delete_many(self, keys: Sequence[str]) -> None:
        """Delete the keys and release their fill claims."""
        ...

    async def delete_tagged(self, tags: Sequence[str]) -> None:
        """Delete every entry filed under any of these tags, releasing the fill claims on them."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class FillClaim:
    """What a fill claims its keys with: a token of its own, and the tag each key's entry is
    filed under (by key; none for an untagged one), which drops the claim with the entries."""

    token: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HeldClaim:
    """A fill's claim on a key in this process: its token, until when, the key's tag."""

    token: str
    expires: float
    tag: str | None


class MemoryCache:
    """A bounded LRU with per-entry expiry, for one process."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self.stats = CacheStats()
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._tag_of: dict[str, str] = {}
        self._tagged: dict[str, set[str]] = {}
        self._claims: dict[str, HeldClaim] = {}

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

    async def claim_many(self, keys: Sequence[str], claim: FillClaim, ttl_s: float) -> list[bool]:
        now = time.monotonic()
        claimed = []
        for key in keys:
            free = self._claim(key, now) is None
            if free:
                self._claims[key] = HeldClaim(claim.token, now + ttl_s, claim.tags.get(key))
            claimed.append(free)
        return claimed

    async def get_claimed(self, keys: Sequence[str]) -> list[tuple[bytes | None, bool]]:
        now = time.monotonic()
        values = await self.get_many(keys)
        claimed = [self._claim(key, now) is not None for key in keys]
        return list(zip(values, claimed, strict=True))

    async def fill_many(
        self, items: Mapping[str, bytes | None], claim: FillClaim, ttl_s: float
    ) -> None:
        now = time.monotonic()
        held = {}
        for key, value in items.items():
            found = self._claim(key, now)
            if found is not None and found.token == claim.token:
                del self._claims[key]
                if value is not None:
                    held[key] = value
        await self.set_many(held, ttl_s, claim.tags)

    def _claim(self, key: str, now: float) -> HeldClaim | None:
        claim = self._claims.get(key)
        if claim is not None and claim.expires <= now:
            del self._claims[key]
            return None
        return claim

    async def delete_many(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._entries.pop(key, None)
            self._claims.pop(key, None)
            self._forget(key)

    async def delete_tagged(self, tags: Sequence[str]) -> None:
        for tag in tags:
            for key in self._tagged.pop(tag, set()):
                self._entries.pop(key, None)
                self._tag_of.pop(key, None)
        dropped = set(tags)
        for key in [key for key, claim in self._claims.items() if claim.tag in dropped]:
            del self._claims[key]

    def _forget(self, key: str) -> None:
        tag = self._tag_of.pop(key, None)
        if tag is not None:
            self._tagged.get(tag, set()).discard(key)

    def clear(self) -> None:
        self._entries.clear()
        self._tag_of.clear()
        self._tagged.clear()
        self._claims.clear()

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
and their entries are in one hash slot (one call per slot on a Redis Cluster). A tag also lists
the claims on its entries' keys, which this releases."""

_FILL = """
local token, ttl = ARGV[1], ARGV[2]
for first = 1, #KEYS, 3 do
  local entry, claim, tag = KEYS[first], KEYS[first + 1], KEYS[first + 2]
  if redis.call('GET', claim) == token then
    redis.call('DEL', claim)
    local value = ARGV[2 + (first + 2) / 3]
    if tag ~= entry then redis.call('SREM', tag, claim) end
    if value ~= '' then
      redis.call('SET', entry, value, 'PX', ttl)
      if tag ~= entry then
        redis.call('SADD', tag, entry)
        redis.call('PEXPIRE', tag, ttl)
      end
    end
  end
end
"""
"""Store what a fill read only where its claim still holds, atomically with the check: KEYS are
(entry, claim, tag) per item, the tag being the entry's key again for an untagged one; ARGV the
token, the TTL in ms, then each item's value ('' for nothing to store)."""


class RedisCache:
    """Entries in Redis under `<prefix>:cache:`, tags as sets under `<prefix>:cache-tag:`, fill
    claims under `<prefix>:cache:fill-lock:`; one round trip per batch (MGET, pipelined SET, a
    fill's script; per node on a Redis Cluster)."""

    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self.stats = CacheStats()
        self._redis = redis
        self._prefix = f"{prefix}:cache:"
        self._tag_prefix = f"{prefix}:cache-tag:"
        self._delete_tagged = redis.register_script(_DELETE_TAGGED)
        self._fill = redis.register_script(_FILL)

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

    async def claim_many(self, keys: Sequence[str], claim: FillClaim, ttl_s: float) -> list[bool]:
        """A tagged key's claim is also listed in its tag, for `delete_tagged` to release; the
        tag then lives at least as long as the claim."""
        if not keys:
            return []
        ttl_ms = max(1, int(ttl_s * 1000))
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(self._claim_key(key), claim.token, px=ttl_ms, nx=True)
            for key in keys:
                tag = claim.tags.get(key)
                if tag is None:
                    continue
                pipe.sadd(self._tag_prefix + tag, self._claim_key(key))
                pipe.pexpire(self._tag_prefix + tag, ttl_ms, nx=True)
                pipe.pexpire(self._tag_prefix + tag, ttl_ms, gt=True)
            done = await pipe.execute()
        return [bool(claimed) for claimed in done[: len(keys)]]

    async def get_claimed(self, keys: Sequence[str]) -> list[tuple[bytes | None, bool]]:
        if not keys:
            return []
        entries = [self._prefix + key for key in keys]
        raw = await get_values(self._redis, entries + [self._claim_key(key) for key in keys])
        values = [value.encode() if isinstance(value, str) else value for value in raw]
        found, claims = values[: len(keys)], values[len(keys) :]
        self.stats.count(found)
        return [(value, claim is not None) for value, claim in zip(found, claims, strict=True)]

    async def fill_many(
        self, items: Mapping[str, bytes | None], claim: FillClaim, ttl_s: float
    ) -> None:
        ttl_ms = max(1, int(ttl_s * 1000))
        calls = []
        for same_slot in in_slots(self._redis, list(items)):
            keys: list[str] = []
            for key in same_slot:
                tag = claim.tags.get(key)
                entry = self._prefix + key
                keys += [entry, self._claim_key(key), self._tag_prefix + tag if tag else entry]
            values = [items[key] or b"" for key in same_slot]
            calls.append(self._fill(keys=keys, args=[claim.token, ttl_ms, *values]))
        await asyncio.gather(*calls)

    async def delete_many(self, keys: Sequence[str]) -> None:
        if keys:
            await self._redis.delete(
                *(self._prefix + key for key in keys), *(self._claim_key(key) for key in keys)
            )

    async def delete_tagged(self, tags: Sequence[str]) -> None:
        for same_slot in in_slots(self._redis, [self._tag_prefix + tag for tag in tags]):
            await self._delete_tagged(keys=same_slot)

    def _claim_key(self, key: str) -> str:
        """In the key's slot when the key carries a hash tag (the prefix carries none)."""
        return f"{self._prefix}fill-lock:{key}"

    async def ping(self) -> None:
        await self._redis.ping()

    async def aclose(self) -> None:
        await self._redis.aclose()
