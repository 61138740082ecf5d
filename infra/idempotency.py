"""Idempotency keys of the gateway's writes, shared by every replica: in Redis (in memory for
the demo without Redis), never in a replica.

A write runs once per key. The first caller claims the key (`SET NX` with a short lease), runs
the write and keeps its result for `retention_s`; a concurrent or later caller with the same
key and the same input (its fingerprint) waits for that result, boundedly, and gets it
replayed; the same key with another input is a `Conflict`. A write that fails releases its
claim, so that a retry runs it again: the upstream's own idempotency key makes that safe.

A value is `P<fingerprint>` while claimed and `D<fingerprint>\\n<result>` once done.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from infra.topology import RedisClient

LEASE_S = 30.0
"""How long a claim holds without a result (a replica that died mid-write frees it)."""
RETENTION_S = 24 * 3600.0
WAIT_S = 10.0
POLL_S = 0.05


@dataclass(frozen=True)
class Conflict:
    """The key was first used with another input."""


class StillRunning(Exception):
    """The first write under this key has not finished within the wait."""


class IdempotencyStore(Protocol):
    async def claim(self, key: str, value: bytes, lease_s: float) -> bytes | None:
        """Set `key` to `value` where absent: `None` when set, else the value found."""
        ...

    async def keep(self, key: str, value: bytes, ttl_s: float) -> None: ...
    async def release(self, key: str) -> None: ...


class RedisIdempotency:
    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:idempotency:"

    async def claim(self, key: str, value: bytes, lease_s: float) -> bytes | None:
        name = self._prefix + key
        for _ in range(3):  # the holder's value may expire between SET NX and GET
            if await self._redis.set(name, value, px=int(lease_s * 1000), nx=True):
                return None
            found = await self._redis.get(name)
            if found is not None:
                return found if isinstance(found, bytes) else str(found).encode()
        raise StillRunning(key)

    async def keep(self, key: str, value: bytes, ttl_s: float) -> None:
        await self._redis.set(self._prefix + key, value, px=int(ttl_s * 1000))

    async def release(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)


class MemoryIdempotency:
    """For one process (the demo without Redis)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, bytes]] = {}

    async def claim(self, key: str, value: bytes, lease_s: float) -> bytes | None:
        now = time.monotonic()
        found = self._values.get(key)
        if found is not None and found[0] > now:
            return found[1]
        self._values[key] = (now + lease_s, value)
        return None

    async def keep(self, key: str, value: bytes, ttl_s: float) -> None:
        self._values[key] = (time.monotonic() + ttl_s, value)

    async def release(self, key: str) -> None:
        self._values.pop(key, None)


async def run_once(
    store: IdempotencyStore,
    key: str,
    fingerprint: str,
    write: Callable[[], Awaitable[bytes]],
    wait_s: float = WAIT_S,
) -> bytes | Conflict:
    """The result of `write` run once for `key` and `fingerprint`, replayed to every caller
    after the first; `Conflict` for another fingerprint. Raises `StillRunning` when the first
    write has not finished within `wait_s`, and whatever `write` raises."""
    fp = fingerprint.encode()
    waited = time.monotonic() + wait_s
    while True:
        found = await store.claim(key, b"P" + fp, LEASE_S)
        if found is None:
            try:
                result = await write()
            except BaseException:
                await store.release(key)
                raise
            await store.keep(key, b"D" + fp + b"\n" + result, RETENTION_S)
            return result
        state, rest = found[:1], found[1:]
        if rest.split(b"\n", 1)[0] != fp:
            return Conflict()
        if state == b"D":
            return rest.split(b"\n", 1)[1]
        if time.monotonic() >= waited:
            raise StillRunning(key)
        await asyncio.sleep(POLL_S)
