"""The Redis rate limiter's one script call per operation: its own quotas counted exactly, and
hits reserved on the keys it names to prefetch (an organization's upstream budgets), which
later hits use without a round trip; a key near its limit is counted hit by hit, so it
refuses at the same count as without reservations."""

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from infra.ratelimit import RESERVATION, Quota, RedisRateLimiter

OPERATIONS = Quota("{org}o", 10**6, 60)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def hits(redis: Redis, prefix: str, quota: Quota) -> int:
    return int(await redis.zcard(f"{prefix}:rate:{quota.key}"))


async def test_operations_are_refused_at_their_limit(redis: Redis, redis_prefix: str) -> None:
    limiter = RedisRateLimiter(redis, redis_prefix)
    caller, organization = Quota("{org}p:anna", 5, 60), Quota("{org}o", 7, 60)
    budget = Quota("{org}u:erp", 100, 60)
    waits = [await limiter.hit([caller, organization], prefetch=[budget]) for _ in range(7)]
    assert waits[:5] == [None] * 5
    assert all(wait is not None and 0 < wait <= 60 for wait in waits[5:])
    assert await hits(redis, redis_prefix, caller) == 5
    assert await hits(redis, redis_prefix, organization) == 5  # a refusal counts nowhere


async def test_a_budget_hit_one_by_one_is_reserved_on_and_used_without_round_trips(
    redis: Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis, redis_prefix)
    budget = Quota("{org}u:crm", 10**6, 60)
    assert await limiter.hit([OPERATIONS], prefetch=[budget]) is None
    assert await hits(redis, redis_prefix, budget) == 0  # not hit yet: nothing reserved
    assert await limiter.hit([budget]) is None  # one by one: counted, and wanted
    assert await limiter.hit([OPERATIONS], prefetch=[budget]) is None
    assert await hits(redis, redis_prefix, budget) == 1 + RESERVATION
    for _ in range(RESERVATION):
        assert await limiter.hit([budget]) is None
    assert await hits(redis, redis_prefix, budget) == 1 + RESERVATION  # from the reservation
    await limiter.aclose()
    assert await hits(redis, redis_prefix, budget) == 1 + RESERVATION  # nothing left to give


async def test_a_budget_near_its_limit_refuses_at_the_same_count(
    redis: Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis, redis_prefix)
    budget = Quota("{org}u:erp", 40, 60)
    spent = 0
    for _ in range(60):  # an operation, then one upstream call, as a request makes them
        await limiter.hit([OPERATIONS], prefetch=[budget])
        if await limiter.hit([budget]) is not None:
            break
        spent += 1
    assert spent == 40
    assert await hits(redis, redis_prefix, budget) == 40


async def test_unused_reserved_hits_are_given_back(redis: Redis, redis_prefix: str) -> None:
    limiter = RedisRateLimiter(redis, redis_prefix, reservation_s=0)  # expired at once
    budget = Quota("{org}u:dms", 10**6, 60)
    for quotas, prefetch in (([OPERATIONS], [budget]), ([budget], []), ([OPERATIONS], [budget])):
        await limiter.hit(quotas, prefetch)
    assert await hits(redis, redis_prefix, budget) == 1 + RESERVATION
    await limiter.hit([OPERATIONS], prefetch=[budget])  # gives the expired ones back
    assert await hits(redis, redis_prefix, budget) == 1
    assert await limiter.hit([budget]) is None  # counted one by one
    assert await hits(redis, redis_prefix, budget) == 2

    wanted = RedisRateLimiter(redis, redis_prefix)
    for quotas, prefetch in (([OPERATIONS], [budget]), ([budget], []), ([OPERATIONS], [budget])):
        await wanted.hit(quotas, prefetch)
    assert await hits(redis, redis_prefix, budget) == 3 + RESERVATION
    await wanted.aclose()  # a graceful stop gives back what is reserved
    assert await hits(redis, redis_prefix, budget) == 3
