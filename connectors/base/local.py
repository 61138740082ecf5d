"""The read-through cache's first level: decoded entries in this process for a short time, so
that a hot entry costs neither a Redis round trip nor decoding (`connectors.base.caching`).

It forgets what the shared cache forgets: `Evicting` wraps the shared cache that writes and
the event pipeline invalidate through, and evicts here first; changes that other replicas
ingested arrive with the graph stream every replica follows (`portalgraph.realtime`). Until
then, and at most for its TTL, this level may serve what another replica has just
invalidated: the bound on cross-replica staleness the TTL sets.

A fill that began before an eviction of its key is not kept, so a read racing a write on this
replica cannot put the old record back here. Whatever caches more in this process, built from
these entries (the response cache), follows the same evictions (`LocalEntries.follow`).
Entries are shared by every request: records are frozen dataclasses and resolvers never change
the lists they get.
"""

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from infra.cache import Cache, CacheStats, FillClaim

RECENT_EVICTIONS = 256
"""Evictions remembered, to tell whether one since a fill began concerned its key."""


class Follower(Protocol):
    """A cache built from this level's entries, evicted with them."""

    def evict(self, keys: frozenset[str], tags: frozenset[str]) -> None: ...

    def clear(self) -> None: ...


class LocalEntries:
    """A bounded LRU of decoded entries by cache key, each with its expiry and its tag."""

    def __init__(
        self, ttl_s: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Any, str | None]] = OrderedDict()
        self._tagged: dict[str, set[str]] = {}
        self.generation = 0
        """Moves on with every eviction; a fill notes it when it begins."""
        self._evictions: deque[tuple[int, frozenset[str], frozenset[str]]] = deque(
            maxlen=RECENT_EVICTIONS
        )
        self._followers: list[Follower] = []

    def follow(self, follower: "Follower") -> None:
        """Tell `follower` of every eviction (keys, tags) from now on; all keys and tags when
        the level is cleared."""
        self._followers.append(follower)

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Any | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found[0] <= self._clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return found[1]

    def put(self, key: str, value: Any, ttl_s: float, tag: str | None, generation: int) -> None:
        """Keep `value` for `ttl_s` (at most this level's TTL), unless an eviction of `key` or
        `tag` happened since `generation` was read (or too many evictions to tell)."""
        if ttl_s <= 0 or not self.untouched(key, tag, generation):
            return
        self._drop(key)
        self._entries[key] = (self._clock() + min(ttl_s, self.ttl_s), value, tag)
        if tag is not None:
            self._tagged.setdefault(tag, set()).add(key)
        while len(self._entries) > self._max_entries:
            self._drop(next(iter(self._entries)))

    def evict(self, keys: Iterable[str] = (), tags: Iterable[str] = ()) -> None:
        keys, tags = frozenset(keys), frozenset(tags)
        self.generation += 1
        self._evictions.append((self.generation, keys, tags))
        for key in keys:
            self._drop(key)
        for tag in tags:
            for key in self._tagged.pop(tag, set()):
                self._entries.pop(key, None)
        for follower in self._followers:
            follower.evict(keys, tags)

    def clear(self) -> None:
        self.generation += 1
        self._evictions.clear()  # so no fill under way is kept
        self._entries.clear()
        self._tagged.clear()
        for follower in self._followers:
            follower.clear()

    def untouched(self, key: str, tag: str | None, since: int) -> bool:
        """Whether no eviction of `key` or `tag` happened since `generation` was `since`."""
        newer = [(keys, tags) for generation, keys, tags in self._evictions if generation > since]
        if len(newer) < self.generation - since:
            return False  # forgotten evictions may have concerned it
        return not any(key in keys or (tag is not None and tag in tags) for keys, tags in newer)

    def _drop(self, key: str) -> None:
        found = self._entries.pop(key, None)
        if found is not None and found[2] is not None:
            group = self._tagged.get(found[2])
            if group is not None:
                group.discard(key)
                if not group:
                    del self._tagged[found[2]]


class Evicting:
    """The shared cache, evicting from this process's first level whatever is deleted from it:
    before the shared entries go, and again once they are gone, so that a read of the old
    shared entry in between cannot leave it in the first level."""

    def __init__(self, shared: Cache, local: LocalEntries) -> None:
        self.shared = shared
        self.local = local
        self.stats: CacheStats = shared.stats

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return await self.shared.get_many(keys)

    async def set_many(
        self, items: Mapping[str, bytes], ttl_s: float, tags: Mapping[str, str] | None = None
    ) -> None:
        await self.shared.set_many(items, ttl_s, tags)

    async def claim_many(self, keys: Sequence[str], claim: FillClaim, ttl_s: float) -> list[bool]:
        return await self.shared.claim_many(keys, claim, ttl_s)

    async def get_claimed(self, keys: Sequence[str]) -> list[tuple[bytes | None, bool]]:
        return await self.shared.get_claimed(keys)

    async def fill_many(
        self, items: Mapping[str, bytes | None], claim: FillClaim, ttl_s: float
    ) -> None:
        await self.shared.fill_many(items, claim, ttl_s)

    async def delete_many(self, keys: Sequence[str]) -> None:
        self.local.evict(keys=keys)
        await self.shared.delete_many(keys)
        self.local.evict(keys=keys)

    async def delete_tagged(self, tags: Sequence[str]) -> None:
        self.local.evict(tags=tags)
        await self.shared.delete_tagged(tags)
        self.local.evict(tags=tags)

    async def aclose(self) -> None:
        self.local.clear()
