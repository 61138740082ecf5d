"""The cache through a Redis failure (`infra.fallback`), on a Redis server of the test's own
whose access list refuses what the test wants to fail: a refused command is a Redis error, as
an outage is, while the server keeps its data for the test to look at."""

from collections.abc import Iterator

import pytest

from bench.redis_server import RedisServer, own_redis_server
from infra.cache import RedisCache
from infra.fallback import Degraded, FallbackCache
from tests.waiting import wait_until

USER, PASSWORD = "gateway", "gateway-secret"
PREFIX = "pgtest-fallback"


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with own_redis_server() as started:
        yield started


async def test_a_delete_that_finds_redis_failing_is_done_there_once_it_is_back(
    server: RedisServer,
) -> None:
    """The delete that trips the fallback is replayed, as the deletes during the outage are:
    otherwise Redis would serve the deleted (stale) entry again once it is back."""
    admin = server.client()
    admin.acl_setuser(
        USER, enabled=True, passwords=[f"+{PASSWORD}"], keys=["*"], commands=["+@all", "-del"]
    )
    cache = FallbackCache(
        RedisCache.from_url(f"redis://{USER}:{PASSWORD}@{server.address}", PREFIX)
    )

    async def back() -> bool:
        try:
            await cache.ping()
        except Degraded:
            return False
        return True

    try:
        await cache.set_many({"ticket": b"old"}, 60)
        await cache.delete_many(["ticket"])  # refused: this very delete degrades the cache
        degraded = cache.degraded
        admin.acl_setuser(USER, enabled=True, commands=["+del"])
        await wait_until(back)
        left = admin.get(f"{PREFIX}:cache:ticket")
    finally:
        await cache.aclose()
        admin.close()

    assert degraded
    assert left is None
