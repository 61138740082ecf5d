"""The gateway's shared state, from settings: Redis for every replica when configured (one
fail-fast client of the configured topology for the cache, rate limits and stored documents),
else in-process stand-ins."""

from dataclasses import dataclass

from infra.cache import Cache, MemoryCache, RedisCache
from infra.documents import DocumentStore, MemoryDocumentStore, RedisDocumentStore
from infra.fallback import FallbackCache
from infra.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from infra.topology import RedisClient, open_redis
from portalgraph.settings import Settings


@dataclass(frozen=True)
class Infrastructure:
    cache: Cache
    limiter: RateLimiter
    documents: DocumentStore
    redis: RedisClient | None

    async def aclose(self) -> None:
        await self.limiter.aclose()  # gives back reserved hits, on the client closed next
        await self.cache.aclose()  # the shared Redis client too, with the cache's own tasks


def open_infrastructure(settings: Settings) -> Infrastructure:
    """Clients only; Redis connects on first use, in the serving event loop."""
    if not settings.redis_url:
        return Infrastructure(MemoryCache(), MemoryRateLimiter(), MemoryDocumentStore(), None)
    redis = open_redis(settings.redis_url, fail_fast=True)
    prefix = settings.cache_prefix
    return Infrastructure(
        # while Redis is down, an in-process cache stands in (`infra.fallback`)
        FallbackCache(RedisCache(redis, prefix)),
        RedisRateLimiter(redis, prefix),
        RedisDocumentStore(redis, prefix),
        redis,
    )
