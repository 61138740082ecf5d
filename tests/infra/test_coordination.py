"""Leases and records, against both implementations: Redis (real) and memory."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from infra.coordination import Coordination, MemoryCoordination, RedisCoordination

WAIT_S = 5.0


@pytest.fixture(params=["memory", "redis"])
async def coordination(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> AsyncIterator[Coordination]:
    if request.param == "memory":
        yield MemoryCoordination()
    else:
        redis = RedisCoordination.from_url(redis_url, redis_prefix)
        yield redis
        await redis.aclose()


async def test_one_holder_at_a_time_until_released(coordination: Coordination) -> None:
    assert await coordination.hold("poll", "a", ttl_s=30)
    assert not await coordination.hold("poll", "b", ttl_s=30)
    assert await coordination.hold("poll", "a", ttl_s=30)  # renewed
    await coordination.release("poll", "b")  # not b's to release
    assert await coordination.holder("poll") == "a"
    await coordination.release("poll", "a")
    assert await coordination.hold("poll", "b", ttl_s=30)


async def test_a_lease_not_renewed_passes_to_another(coordination: Coordination) -> None:
    assert await coordination.hold("poll", "a", ttl_s=0.2)
    deadline = time.monotonic() + WAIT_S
    while not await coordination.hold("poll", "b", ttl_s=30):
        assert time.monotonic() < deadline, "the lease never lapsed"
        await asyncio.sleep(0.05)
    assert await coordination.holder("poll") == "b"


async def test_records_keep_fields_and_counters(coordination: Coordination) -> None:
    await coordination.save("poll:erp", {"cursor": "7", "by": "a"})
    await coordination.save("poll:erp", {"cursor": "9"})
    await coordination.count("poll:erp", "polls:a")
    await coordination.count("poll:erp", "polls:a")
    assert await coordination.load("poll:erp") == {"cursor": "9", "by": "a", "polls:a": "2"}
