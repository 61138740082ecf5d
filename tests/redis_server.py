"""A real Redis for the tests: the one on 127.0.0.1:6379 when it answers, else a
`redis-server` the tests start on a free port and stop at the end. Every test run uses a key
prefix of its own and deletes only its own keys (never FLUSHALL a shared server)."""

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
import redis
from redis.asyncio import Redis as AsyncRedis

from sandbox.server import bind

SHARED_URL = "redis://127.0.0.1:6379/0"
START_DEADLINE_S = 10.0


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@contextmanager
def own_redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; `make test` installs it")
    sock = bind()
    port = sock.getsockname()[1]
    sock.close()
    process = subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {port} did not start")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    configured = os.environ.get("PORTALGRAPH_TEST_REDIS_URL")
    if configured:
        yield configured
    elif answers(SHARED_URL):
        yield SHARED_URL
    else:
        with own_redis_server() as url:
            yield url


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
