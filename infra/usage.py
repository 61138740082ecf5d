"""The gateway's own usage counters, per organization and day, kept for a retention period:
distinct active users, logins (distinct identity-provider sessions) and self-service actions
by kind. Redis for replicas (shared, expiring), memory for one process.

Nothing here identifies a person: users and sessions go into HyperLogLogs (Redis `PFADD`),
which can only be counted, never listed, so the insights stay aggregate whatever a user's
ANALYTICS consent says. Keys carry the organization as a hash tag, so a week's counts are one
multi-key command on Redis Cluster too.
"""

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from infra.topology import RedisClient, open_redis


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
class _Day:
    users: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    actions: Counter[str] = field(default_factory=Counter)


class MemoryUsage:
    """For one process (the demo without Redis); kept until the process ends."""

    def __init__(self) -> None:
        self._days: dict[tuple[str, date], _Day] = {}

    async def record(
        self, organization: str, day: date, user: str, session: str, actions: Sequence[str]
    ) -> None:
        entry = self._days.setdefault((organization, day), _Day())
        entry.users.add(pseudonym(user))
        entry.sessions.add(pseudonym(session))
        entry.actions.update(actions)

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


class RedisUsage:
    """Per organization and day: `<prefix>:usage:{<org>}:<day>:users|sessions` (HyperLogLog)
    and `…:actions` (hash of counts), each expiring after the retention period."""

    def __init__(self, redis: RedisClient, prefix: str, retention_days: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:usage:"
        self._ttl_s = retention_days * 86_400

    @classmethod
    def from_url(cls, url: str, prefix: str, retention_days: int) -> "RedisUsage":
        # counted in the request's path: an outage must not hold it up
        return cls(open_redis(url, fail_fast=True), prefix, retention_days)

    def _key(self, organization: str, day: date, what: str) -> str:
        return f"{self._prefix}{{{organization}}}:{day.isoformat()}:{what}"

    async def record(
        self, organization: str, day: date, user: str, session: str, actions: Sequence[str]
    ) -> None:
        users, sessions = (self._key(organization, day, k) for k in ("users", "sessions"))
        counted = self._key(organization, day, "actions")
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.pfadd(users, pseudonym(user))
            pipe.pfadd(sessions, pseudonym(session))
            for action in actions:
                pipe.hincrby(counted, action, 1)
            for key in (users, sessions, counted):
                pipe.expire(key, self._ttl_s)
            pipe.sadd(self._prefix + "organizations", organization)
            await pipe.execute()

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
