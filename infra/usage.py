"""The gateway's own usage counters, per organization and day, kept for a retention period:
distinct active users, logins (distinct identity-provider sessions) and self-service actions
by kind. Redis for replicas (shared, expiring), memory for one process.

Nothing here identifies a person: users and sessions go into HyperLogLogs (Redis `PFADD`),
which can only be counted, never listed, so the insights stay aggregate whatever a user's
ANALYTICS consent says. Keys carry the organization as a hash tag, so a week's counts are one
multi-key command on Redis Cluster too.

Requests are counted in the process (`BatchedUsage`) and handed to the store in batches, one
Redis round trip per flush instead of one per request (see `BatchedUsage` for when it flushes
and what a crash can lose).
"""

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from infra.topology import REDIS_ERRORS, RedisClient, open_redis

log = logging.getLogger("portalgraph.usage")


@dataclass(frozen=True)
class UsageCounts:
    active_users: int
    logins: int
    actions: dict[str, int]


class UsageStore(Protocol):
    async def record(
        self, organization: str, day: date, user: str, session: str, actions: Sequence[str]
    ) -> None:
        """One request of `user` in `session`, with the self-service actions it made."""
        ...

    async def counts(self, organization: str, days: Sequence[date]) -> UsageCounts:
        """Totals over `days`: users and logins counted once however many days they span."""
        ...

    async def organizations(self) -> list[str]:
        """Every organization with recorded usage."""
        ...

    async def aclose(self) -> None: ...


def pseudonym(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


@dataclass
class Day:
    """One organization's usage on one day: pseudonyms of users and sessions, actions."""

    users: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    actions: Counter[str] = field(default_factory=Counter)


Batch = Mapping[tuple[str, date], Day]
"""Usage by (organization, day)."""


class Tallies(Protocol):
    """Where batches of usage end up, and are read back from."""

    async def add(self, batch: Batch, batch_id: str) -> None:
        """Add a batch; adding one `batch_id` again (a retry after a failure that may have
        applied it) adds nothing twice."""
        ...

    async def counts(self, organization: str, days: Sequence[date]) -> UsageCounts: ...

    async def organizations(self) -> list[str]: ...

    async def aclose(self) -> None: ...


class MemoryUsage:
    """For one process (the demo without Redis); kept until the process ends."""

    def __init__(self) -> None:
        self._days: dict[tuple[str, date], Day] = {}

    async def add(self, batch: Batch, batch_id: str) -> None:
        for key, day in batch.items():
            entry = self._days.setdefault(key, Day())
            entry.users |= day.users
            entry.sessions |= day.sessions
            entry.actions.update(day.actions)

    async def counts(self, organization: str, days: Sequence[date]) -> UsageCounts:
        found = [self._days[(organization, d)] for d in days if (organization, d) in self._days]
        actions: Counter[str] = sum((d.actions for d in found), Counter())
        return UsageCounts(
            active_users=len(set().union(*(d.users for d in found))),
            logins=len(set().union(*(d.sessions for d in found))),
            actions=dict(actions),
        )

    async def organizations(self) -> list[str]:
        return sorted({organization for organization, _ in self._days})

    async def aclose(self) -> None:
        self._days.clear()


# KEYS: users, sessions, actions, the batch's marker (one slot: the organization's hash tag);
# ARGV: retention (s), marker TTL (s), the number of user pseudonyms, the users, the number of
# session pseudonyms, the sessions, then action and count pairs.
# Atomic, and a no-op when the marker is there: a batch retried after a failure counts once.
_ADD_DAY = """
if redis.call('SET', KEYS[4], '1', 'NX', 'EX', tonumber(ARGV[2])) == false then return 0 end
local ttl = tonumber(ARGV[1])
local i = 3
for k = 1, 2 do
  local n = tonumber(ARGV[i])
  if n > 0 then
    redis.call('PFADD', KEYS[k], unpack(ARGV, i + 1, i + n))
    redis.call('EXPIRE', KEYS[k], ttl)
  end
  i = i + n + 1
end
if i <= #ARGV then
  while i <= #ARGV do
    redis.call('HINCRBY', KEYS[3], ARGV[i], tonumber(ARGV[i + 1]))
    i = i + 2
  end
  redis.call('EXPIRE', KEYS[3], ttl)
end
return 1
"""
MARKER_TTL_S = 3600
"""How long a batch is remembered as added: longer than any batch waits for its retry."""


class RedisUsage:
    """Per organization and day: `<prefix>:usage:{<org>}:<day>:users|sessions` (HyperLogLog)
    and `…:actions` (hash of counts), each expiring after the retention period; each batch
    adds one organization's day atomically, once (a marker `…:batch:<id>` remembers it)."""

    def __init__(self, redis: RedisClient, prefix: str, retention_days: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:usage:"
        self._ttl_s = retention_days * 86_400
        self._add_day = redis.register_script(_ADD_DAY)

    @classmethod
    def from_url(cls, url: str, prefix: str, retention_days: int) -> "RedisUsage":
        # flushed in the background, but read in a request's path: an outage must not block
        return cls(open_redis(url, fail_fast=True), prefix, retention_days)

    def _key(self, organization: str, day: date, what: str) -> str:
        return f"{self._prefix}{{{organization}}}:{day.isoformat()}:{what}"

    async def add(self, batch: Batch, batch_id: str) -> None:
        if not batch:
            return
        # one script call per organization and day (each its own slot on a Cluster); a flush
        # runs once a second, off the requests' path
        for (organization, day), usage in batch.items():
            keys = [self._key(organization, day, k) for k in ("users", "sessions", "actions")]
            keys.append(f"{self._prefix}{{{organization}}}:batch:{batch_id}")
            args: list[str | int] = [self._ttl_s, MARKER_TTL_S]
            for members in (usage.users, usage.sessions):
                args += [len(members), *sorted(members)]
            for action, count in usage.actions.items():
                args += [action, count]
            await self._add_day(keys=keys, args=args)
        await self._redis.sadd(self._prefix + "organizations", *{org for org, _ in batch})

    async def counts(self, organization: str, days: Sequence[date]) -> UsageCounts:
        if not days:
            return UsageCounts(0, 0, {})
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.pfcount(*(self._key(organization, d, "users") for d in days))
            pipe.pfcount(*(self._key(organization, d, "sessions") for d in days))
            for d in days:
                pipe.hgetall(self._key(organization, d, "actions"))
            users, sessions, *per_day = await pipe.execute()
        actions: Counter[str] = Counter()
        for day_actions in per_day:
            actions.update({k.decode(): int(v) for k, v in day_actions.items()})
        return UsageCounts(int(users), int(sessions), dict(actions))

    async def organizations(self) -> list[str]:
        members = await self._redis.smembers(self._prefix + "organizations")
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    async def aclose(self) -> None:
        await self._redis.aclose()


class BatchedUsage:
    """Counts requests in this process and adds them to `tallies` in batches: every
    `interval_s` (a background task, once `start`ed), as soon as `max_pending` requests are
    pending, before every read (`counts`, `organizations`: a replica reads its own requests)
    and when it closes. Replicas need no coordination: each adds its own batches.

    A batch that fails to be added (Redis down) is kept and added again, under the same id, on
    the next flush, so counts stay exact across a failure; at most `max_unsent` batches are
    kept (the oldest is dropped beyond, logged). What a crash (no graceful stop) loses: the
    requests of the last `interval_s` at most, and the batches kept while Redis was down.

    Example:
        usage = BatchedUsage(RedisUsage.from_url(url, "pg", 400))
        usage.start()
        await usage.record("0000123456", date.today(), "user-id", "session-id", [])
        await usage.flush()  # what tests call before they read the store directly
    """

    def __init__(
        self,
        tallies: Tallies,
        interval_s: float = 1.0,
        max_pending: int = 1000,
        max_unsent: int = 600,
    ) -> None:
        self.tallies = tallies
        self.interval_s = interval_s
        self.max_pending = max_pending
        self._pending: dict[tuple[str, date], Day] = {}
        self._pending_requests = 0
        self._unsent: deque[tuple[str, Batch]] = deque(maxlen=max_unsent)
        self._flushing = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Flush every `interval_s` until `aclose`."""
        if self._timer is None:
            self._timer = asyncio.create_task(self._flush_periodically())

    async def record(
        self, organization: str, day: date, user: str, session: str, actions: Sequence[str]
    ) -> None:
        usage = self._pending.get((organization, day))
        if usage is None:
            usage = self._pending[(organization, day)] = Day()
        usage.users.add(pseudonym(user))
        usage.sessions.add(pseudonym(session))
        usage.actions.update(actions)
        self._pending_requests += 1
        if self._pending_requests >= self.max_pending:
            await self.flush()

    async def flush(self) -> None:
        """Add what is pending, after any batch kept from a failed flush; a failure is logged
        and its batch kept for the next flush."""
        async with self._flushing:
            if self._pending:
                if len(self._unsent) == self._unsent.maxlen:
                    log.warning("usage of a batch dropped: %d batches failed", len(self._unsent))
                self._unsent.append((uuid.uuid4().hex, self._pending))
                self._pending, self._pending_requests = {}, 0
            while self._unsent:
                batch_id, batch = self._unsent[0]
                try:
                    await self.tallies.add(batch, batch_id)
                except REDIS_ERRORS as error:
                    log.warning("usage not added yet (%d batches kept): %s", len(self._unsent),
                                error)  # fmt: skip
                    return
                self._unsent.popleft()

    async def counts(self, organization: str, days: Sequence[date]) -> UsageCounts:
        await self.flush()
        return await self.tallies.counts(organization, days)

    async def organizations(self) -> list[str]:
        await self.flush()
        return await self.tallies.organizations()

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None
        await self.flush()
        await self.tallies.aclose()

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.flush()
            except Exception:  # a bug must not end the flushing; the batch stays kept
                log.exception("usage flush failed")
