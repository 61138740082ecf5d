"""Fill claims, as every cache implements them (`infra.cache`): a fill stores what it read only
while its claim holds, and an invalidation of the key, or of the tag its entry is filed under,
releases the claim, so a fill that began before the invalidation stores nothing. On a Redis
Cluster a key and its claim share a slot (the keys carry hash tags, as `CachedEntity`'s do)."""

from collections.abc import AsyncIterator

import pytest

from infra.cache import Cache, FillClaim, MemoryCache, RedisCache
from tests.redis_server import new_prefix
from tests.redis_topologies import shared
from tests.waiting import wait_until

TTL_S = 30.0
CLAIM_S = 5.0
KEYS = ["crm:ticket:{TCK-1}", "crm:ticket:{TCK-2}", "crm:ticket:{TCK-3}"]
"""In three slots of a Redis Cluster."""
LISTED = "crm:tickets:{C-1}:open"
TAG = "crm:tickets#{C-1}"


@pytest.fixture(params=["memory", "redis", "cluster"])
async def cache(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> AsyncIterator[Cache]:
    if request.param == "memory":
        yield MemoryCache()
        return
    url = redis_url if request.param == "redis" else shared(request, "cluster").url
    prefix = redis_prefix if request.param == "redis" else new_prefix()
    opened = RedisCache.from_url(url, prefix)
    yield opened
    await opened.delete_many([*KEYS, LISTED])
    await opened.delete_tagged([TAG])
    await opened.aclose()


ONE, TWO = FillClaim("one"), FillClaim("two")
SLOW, AFTER = FillClaim("slow"), FillClaim("after")
LISTING, RELISTING = FillClaim("slow", {LISTED: TAG}), FillClaim("after", {LISTED: TAG})


async def test_a_fill_stores_what_it_claimed_and_releases_the_claims(cache: Cache) -> None:
    assert await cache.claim_many(KEYS, ONE, CLAIM_S) == [True] * 3
    assert await cache.claim_many(KEYS, TWO, CLAIM_S) == [False] * 3  # held by ONE
    assert await cache.get_claimed(KEYS) == [(None, True)] * 3

    await cache.fill_many({KEYS[0]: b"first", KEYS[1]: None, KEYS[2]: b"third"}, ONE, TTL_S)

    assert await cache.get_claimed(KEYS) == [(b"first", False), (None, False), (b"third", False)]
    assert await cache.claim_many(KEYS, TWO, CLAIM_S) == [True] * 3


async def test_a_fill_overtaken_by_a_delete_stores_nothing(cache: Cache) -> None:
    await cache.claim_many(KEYS, SLOW, CLAIM_S)
    await cache.delete_many(KEYS[:2])  # a write's invalidation lands while SLOW reads
    assert await cache.claim_many(KEYS, AFTER, CLAIM_S) == [True, True, False]

    await cache.fill_many(dict.fromkeys(KEYS, b"old"), SLOW, TTL_S)
    await cache.fill_many(dict.fromkeys(KEYS[:2], b"new"), AFTER, TTL_S)

    assert await cache.get_many(KEYS) == [b"new", b"new", b"old"]


async def test_a_fill_overtaken_by_its_tag_being_dropped_stores_nothing(cache: Cache) -> None:
    await cache.claim_many([LISTED], LISTING, CLAIM_S)
    await cache.delete_tagged([TAG])  # every variant of the list is stale

    await cache.fill_many({LISTED: b"old"}, LISTING, TTL_S)

    assert await cache.get_claimed([LISTED]) == [(None, False)]
    await cache.claim_many([LISTED], RELISTING, CLAIM_S)
    await cache.fill_many({LISTED: b"new"}, RELISTING, TTL_S)
    await cache.delete_tagged([TAG])  # the entry stored was filed under its tag
    assert await cache.get_many([LISTED]) == [None]


async def test_a_claim_expires_unreleased(cache: Cache) -> None:
    crashed, following = FillClaim("crashed"), FillClaim("next")
    await cache.claim_many(KEYS[:1], crashed, 0.05)

    async def free() -> bool:
        return await cache.claim_many(KEYS[:1], following, CLAIM_S) == [True]

    await wait_until(free)
    await cache.fill_many({KEYS[0]: b"late"}, crashed, TTL_S)
    await cache.fill_many({KEYS[0]: b"next"}, following, TTL_S)
    assert await cache.get_many(KEYS[:1]) == [b"next"]
