"""The cache when Redis may fail: Redis while it answers, a bounded in-memory cache while it
does not, so that the gateway keeps serving through a Redis outage (each replica on its own,
with more upstream traffic) instead of failing.

While Redis is down no request waits on it: a probe (one PING) is tried in the background
with exponential backoff and jitter, at most one at a time, started by cache use or by the
readiness check. Keys deleted during the outage (invalidations) are deleted in Redis once it
is back; then the in-memory entries are dropped.
"""

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from infra.cache import Cache, FillClaim, MemoryCache, RedisCache
from infra.topology import REDIS_ERRORS

R = TypeVar("R")
log = logging.getLogger("portalgraph.cache")

FALLBACK_ENTRIES = 10_000
FIRST_PROBE_S = 0.1
MAX_PROBE_S = 5.0
MAX_PENDING_DELETES = 10_000


class Degraded(Exception):
    """A dependency is down but the gateway still serves (readiness stays true)."""


class FallbackCache:
    def __init__(self, primary: RedisCache, fallback: MemoryCache | None = None) -> None:
        self._primary = primary
        self._fallback = fallback or MemoryCache(FALLBACK_ENTRIES)
        self.stats = primary.stats
        self._fallback.stats = self.stats
        self.degraded_since: float | None = None
        self.last_error = ""
        self.outages = 0
        self._failed_probes = 0
        self._next_probe_at = 0.0
        self._probe: asyncio.Task[None] | None = None
        self._pending_deletes: set[str] = set()

    @property
    def degraded(self) -> bool:
        return self.degraded_since is not None

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return await self._use(lambda cache: cache.get_many(keys))

    async def set_many(
        self, items: Mapping[str, bytes], ttl_s: float, tags: Mapping[str, str] | None = None
    ) -> None:
        await self._use(lambda cache: cache.set_many(items, ttl_s, tags))

    async def claim_many(self, keys: Sequence[str], claim: FillClaim, ttl_s: float) -> list[bool]:
        return await self._use(lambda cache: cache.claim_many(keys, claim, ttl_s))

    async def get_claimed(self, keys: Sequence[str]) -> list[tuple[bytes | None, bool]]:
        return await self._use(lambda cache: cache.get_claimed(keys))

    async def fill_many(
        self, items: Mapping[str, bytes | None], claim: FillClaim, ttl_s: float
    ) -> None:
        """A fill that began before Redis failed stores nothing in the stand-in: it holds no
        claim there."""
        await self._use(lambda cache: cache.fill_many(items, claim, ttl_s))

    async def delete_many(self, keys: Sequence[str]) -> None:
        """Kept for Redis also when this very delete is the call that finds it down."""
        await self._use(lambda cache: cache.delete_many(keys))
        if self.degraded and len(self._pending_deletes) < MAX_PENDING_DELETES:
            self._pending_deletes.update(keys)

    async def delete_tagged(self, tags: Sequence[str]) -> None:
        """While Redis is down only the in-memory stand-in drops the tags; Redis's entries of
        them expire with their TTL (they are not replayed, unlike deleted keys)."""
        await self._use(lambda cache: cache.delete_tagged(tags))

    async def ping(self) -> None:
        """For the readiness check: raises `Degraded` while Redis is down (after trying it,
        when a probe is due)."""
        if self.degraded:
            self._probe_if_due()
            if self._probe is not None:
                await asyncio.shield(self._probe)
        if self.degraded_since is not None:
            down_s = time.monotonic() - self.degraded_since
            raise Degraded(
                f"unreachable for {down_s:.1f}s ({self.last_error}); serving from memory"
            )

    async def aclose(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
        await self._primary.aclose()
        await self._fallback.aclose()

    async def _use(self, operation: Callable[[Cache], Awaitable[R]]) -> R:
        if not self.degraded:
            try:
                return await operation(self._primary)
            except REDIS_ERRORS as error:
                self._degrade(error)
        self._probe_if_due()
        return await operation(self._fallback)

    def _degrade(self, error: Exception) -> None:
        self.last_error = f"{type(error).__name__}: {error}"[:200]
        if self.degraded_since is None:
            self.degraded_since = time.monotonic()
            self.outages += 1
            self._failed_probes = 0
            self._next_probe_at = self.degraded_since + FIRST_PROBE_S
            log.warning("Redis unreachable, serving from the in-memory cache: %s", self.last_error)

    def _probe_if_due(self) -> None:
        running = self._probe is not None and not self._probe.done()
        if self.degraded and not running and time.monotonic() >= self._next_probe_at:
            # an empty context: the probe belongs to no request and outlives the one that started it
            self._probe = asyncio.create_task(self._try_redis(), context=contextvars.Context())

    async def _try_redis(self) -> None:
        try:
            await self._primary.ping()
            await self._primary.delete_many(sorted(self._pending_deletes))
        except REDIS_ERRORS as error:
            self.last_error = f"{type(error).__name__}: {error}"[:200]
            self._failed_probes += 1
            backoff = min(MAX_PROBE_S, FIRST_PROBE_S * 2**self._failed_probes)
            self._next_probe_at = time.monotonic() + backoff * (0.5 + random.random() / 2)  # noqa: S311
            return
        log.warning("Redis is back after %.1fs", time.monotonic() - (self.degraded_since or 0))
        self._pending_deletes.clear()
        self.degraded_since = None
        self._fallback.clear()
