"""A real Redis for the tests: the one on 127.0.0.1:6379 when it answers, else a
`redis-server` the tests start on a free port and stop at the end. Every test run uses a key
prefix of its own and deletes only its own keys (never FLUSHALL a shared server)."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from redis.asyncio import Redis as AsyncRedis

from bench.redis_server import answers, own_redis_server

SHARED_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    configured = os.environ.get("PORTALGRAPH_TEST_REDIS_URL")
    if configured:
        yield configured
    elif answers(SHARED_URL):
        yield SHARED_URL
    else:
        with own_redis_server() as server:
            yield server.url


def new_prefix() -> str:
    return f"pgtest-{uuid.uuid4().hex[:12]}"


def delete_prefix(url: str, prefix: str) -> None:
    """Delete the keys under `prefix` (and only those)."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = new_prefix()
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[AsyncRedis]:
    """An asyncio client of the test Redis, closed afterwards."""
    client = AsyncRedis.from_url(redis_url)
    yield client
    await client.aclose()
