"""Sliding-window rate limits: at most `limit` hits per key within the last `window_s`.

One protocol, a Redis implementation shared by every replica (a sorted set of hit times per
key, checked and updated atomically by a Lua script with the server's clock) and an
in-memory one for a single process. A hit on several keys counts on all of them or on none:
on a Redis Cluster they must share a hash slot (keys with one hash tag, `{…}`).

Reserving (Redis only): a caller that knows which keys it is about to hit one by one (an
organization's upstream budgets, hit once per upstream call) names them as `prefetch` in the
hit it makes anyway (the request's rate limit). The same script call then reserves a block of
hits on those keys the process has been hitting, and later hits of them are counted from the
reservation, without a round trip. A reserved hit counts from the moment it was reserved;
what is not used within `RESERVATION_S` is given back (removed) by the next call that names
its key. Reservations shrink to nothing as a key nears its limit (at most an eighth of the
room left), so a key close to its limit is counted hit by hit, exactly as without them.
"""

import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from infra.topology import REDIS_ERRORS, RedisClient

log = logging.getLogger("portalgraph.ratelimit")

RESERVATION = 16
"""Hits reserved at once on a key this process hits one by one."""
RESERVATION_S = 1.0
"""How long reserved hits may be used; the rest is given back."""


@dataclass(frozen=True)
class Quota:
    key: str
    limit: int
    window_s: float


class RateLimiter(Protocol):
    async def hit(self, quotas: Sequence[Quota], prefetch: Sequence[Quota] = ()) -> float | None:
        """Count one hit on every quota's key if all are below their limit and return None;
        else count nothing and return the seconds until the fullest one has room again.
        `prefetch`: quotas (in the same hash slot) about to be hit one by one, which the
        implementation may reserve hits of in the same step."""
        ...

    async def aclose(self) -> None:
        """Give back what is reserved and unused."""
        ...


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    async def hit(self, quotas: Sequence[Quota], prefetch: Sequence[Quota] = ()) -> float | None:
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

    async def aclose(self) -> None:
        self._hits.clear()


# KEYS: the quota keys, then the keys to reserve on. ARGV: a unique id, the number of quota
# keys, limit and window (ms) per quota key, then per key to reserve on: limit, window, how
# many hits wanted, how many members to give back, those members.
# Returns {-1, reserved per key} when counted, else {the milliseconds until the fullest quota
# key has room}.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local quotas = tonumber(ARGV[2])
local a = 3 + 2 * quotas
local reserve = {}
for i = quotas + 1, #KEYS do
  local back = tonumber(ARGV[a + 3])
  if back > 0 then redis.call('ZREM', KEYS[i], unpack(ARGV, a + 4, a + 3 + back)) end
  reserve[#reserve + 1] = {KEYS[i], tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])}
  a = a + 4 + back
end
local wait = -1
for i = 1, quotas do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local room = window
    if oldest[2] then room = tonumber(oldest[2]) + window - now end
    if room > wait then wait = room end
  end
end
if wait >= 0 then return {math.max(wait, 1)} end
for i = 1, quotas do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 + 2 * i]))
end
local result = {-1}
for j, r in ipairs(reserve) do
  local key, limit, window, want = r[1], r[2], r[3], r[4]
  local granted = 0
  if want > 0 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    granted = math.min(want, math.floor((limit - redis.call('ZCARD', key)) / 8))
  end
  if granted > 0 then
    local members = {}
    for k = 1, granted do
      members[#members + 1] = now
      members[#members + 1] = ARGV[1] .. ':' .. j .. ':' .. k
    end
    redis.call('ZADD', key, unpack(members))
    redis.call('PEXPIRE', key, window)
  end
  result[#result + 1] = granted
end
return result
"""


@dataclass
class _Reserved:
    """This process's reserved hits on one key."""

    members: list[str] = field(default_factory=list)
    until: float = 0.0
    wanted: bool = False
    """Hit one by one lately: worth reserving on."""
    refilling: bool = False
    unused: list[str] = field(default_factory=list)
    """Expired or replaced members, to give back."""


class RedisRateLimiter:
    """Counters under `<prefix>:rate:<key>`; reserved hits may be used for `reservation_s`."""

    def __init__(
        self, redis: RedisClient, prefix: str, reservation_s: float = RESERVATION_S
    ) -> None:
        self._redis = redis
        self.reservation_s = reservation_s
        self._prefix = f"{prefix}:rate:"
        self._script = redis.register_script(_SLIDING_WINDOW)
        self._reserved: dict[str, _Reserved] = {}

    async def hit(self, quotas: Sequence[Quota], prefetch: Sequence[Quota] = ()) -> float | None:
        if not quotas:
            return None
        one_by_one = len(quotas) == 1 and not prefetch
        if one_by_one and self._take(quotas[0].key):
            return None
        for quota in prefetch:  # a key named here may be reserved on once hit one by one
            self._reserved.setdefault(quota.key, _Reserved())
        refills = [(q, r) for q in prefetch if (r := self._refill(q.key)) is not None]
        uid = uuid.uuid4().hex
        args: list[str | int] = [uid, len(quotas)]
        for quota in quotas:
            args += [quota.limit, _ms(quota.window_s)]
        for quota, (want, back) in refills:
            args += [quota.limit, _ms(quota.window_s), want, len(back), *back]
        keys = [self._prefix + q.key for q in (*quotas, *(q for q, _ in refills))]
        try:
            result = await self._script(keys=keys, args=args)
        except BaseException as error:  # a Redis error, or the request cancelled meanwhile
            for quota, (_, back) in refills:
                self._failed_refill(quota.key, back)
            if not isinstance(error, REDIS_ERRORS):
                raise
            # a Redis outage must not take the gateway down with it: no limits meanwhile
            log.warning("rate limits not counted, Redis unavailable: %s", error)
            return None
        wait_ms, *granted = (int(n) for n in result)
        for j, (quota, _) in enumerate(refills, start=1):
            given = granted[j - 1] if granted else 0  # refused: nothing reserved
            self._refilled(quota.key, [f"{uid}:{j}:{k}" for k in range(1, given + 1)])
        if wait_ms >= 0:
            return wait_ms / 1000
        if one_by_one and (reserved := self._reserved.get(quotas[0].key)) is not None:
            reserved.wanted = True
        return None

    async def aclose(self) -> None:
        """Give back every unused reserved hit (on a graceful stop)."""
        for key, reserved in list(self._reserved.items()):
            back = reserved.unused + reserved.members
            reserved.unused, reserved.members = [], []
            if back:
                try:
                    await self._redis.zrem(self._prefix + key, *back)
                except REDIS_ERRORS as error:
                    log.warning("reserved hits not given back: %s", error)
        self._reserved.clear()

    def _take(self, key: str) -> bool:
        reserved = self._reserved.get(key)
        if reserved is None or not reserved.members:
            return False
        if reserved.until <= time.monotonic():
            reserved.unused += reserved.members
            reserved.members = []
            return False
        reserved.members.pop()
        return True

    def _refill(self, key: str) -> tuple[int, list[str]] | None:
        """How many hits to reserve on `key` and which to give back, or None: nothing to do."""
        reserved = self._reserved.get(key)
        if reserved is None or reserved.refilling:
            return None
        if reserved.members and reserved.until <= time.monotonic():
            reserved.wanted = False  # fewer hits than reserved: one by one until wanted again
            reserved.unused += reserved.members
            reserved.members = []
        want = RESERVATION if reserved.wanted and len(reserved.members) < RESERVATION // 2 else 0
        if want == 0 and not reserved.unused:
            return None
        back = reserved.unused + (reserved.members if want else [])
        reserved.unused = []
        if want:
            reserved.members, reserved.refilling = [], True
        return want, back

    def _refilled(self, key: str, members: list[str]) -> None:
        """The script ran: `back` is given back, `members` reserved."""
        reserved = self._reserved[key]
        if reserved.refilling:
            reserved.members, reserved.refilling = members, False
            reserved.until = time.monotonic() + self.reservation_s

    def _failed_refill(self, key: str, back: list[str]) -> None:
        """The script may not have run: give `back` back next time (removing twice is none)."""
        reserved = self._reserved[key]
        reserved.unused += back
        reserved.refilling = False


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
