"""Sliding-window rate limits: at most `limit` hits per key within the last `window_s`.

One protocol, a Redis implementation shared by every replica (a sorted set of hit times per
key, checked and updated atomically by a Lua script with the server's clock) and an
in-memory one for a single process. A hit on several keys counts on all of them or on none:
on a Redis Cluster they must share a hash slot (keys with one hash tag, `{…}`).
"""

import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from infra.topology import REDIS_ERRORS, RedisClient

log = logging.getLogger("portalgraph.ratelimit")


@dataclass(frozen=True)
class Quota:
    key: str
    limit: int
    window_s: float


class RateLimiter(Protocol):
    async def hit(self, quotas: Sequence[Quota]) -> float | None:
        """Count one hit on every quota's key if all are below their limit and return None;
        else count nothing and return the seconds until the fullest one has room again."""
        ...


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    async def hit(self, quotas: Sequence[Quota]) -> float | None:
        now = time.monotonic()
        wait = 0.0
        for quota in quotas:
            hits = self._hits.setdefault(quota.key, deque())
            while hits and hits[0] <= now - quota.window_s:
                hits.popleft()
            if len(hits) >= quota.limit:
                wait = max(wait, hits[0] + quota.window_s - now) if hits else quota.window_s
        if wait > 0:
            return wait
        for quota in quotas:
            self._hits[quota.key].append(now)
        return None


# KEYS: the quota keys; ARGV: a unique member, then limit and window (ms) per key.
# Returns -1 when counted, else the milliseconds until the fullest key has room.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = -1
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local room = window
    if oldest[2] then room = tonumber(oldest[2]) + window - now end
    if room > wait then wait = room end
  end
end
if wait >= 0 then return math.max(wait, 1) end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return -1
"""


class RedisRateLimiter:
    """Counters under `<prefix>:rate:<key>`."""

    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self._prefix = f"{prefix}:rate:"
        self._script = redis.register_script(_SLIDING_WINDOW)

    async def hit(self, quotas: Sequence[Quota]) -> float | None:
        if not quotas:
            return None
        args: list[str | int] = [uuid.uuid4().hex]
        for quota in quotas:
            args += [quota.limit, max(1, int(quota.window_s * 1000))]
        try:
            wait_ms = int(
                await self._script(keys=[self._prefix + q.key for q in quotas], args=args)
            )
        except REDIS_ERRORS as error:
            # a Redis outage must not take the gateway down with it: no limits meanwhile
            log.warning("rate limits not counted, Redis unavailable: %s", error)
            return None
        return None if wait_ms < 0 else wait_ms / 1000
