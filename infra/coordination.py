"""What replicas share to divide work: leases (one holder at a time, expiring unless renewed,
so a dead holder's lease passes on by itself) and small named records (a poller's cursor).
In Redis for several replicas; in memory for one process."""

import time
from collections.abc import Mapping
from typing import Protocol

from infra.topology import RedisClient, open_redis


class Coordination(Protocol):
    async def hold(self, lease: str, holder: str, ttl_s: float) -> bool:
        """Take the lease or renew it for `holder`; False while another holder has it."""
        ...

    async def release(self, lease: str, holder: str) -> None:
        """Give the lease up, if `holder` has it."""
        ...

    async def holder(self, lease: str) -> str | None: ...

    async def load(self, record: str) -> dict[str, str]: ...

    async def save(self, record: str, fields: Mapping[str, str]) -> None:
        """Set these fields of the record (others stay)."""
        ...

    async def count(self, record: str, name: str) -> None:
        """Add one to the record's counter `name`."""
        ...


_HOLD = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisCoordination:
    """Leases at `<prefix>:lease:<name>`, records as hashes at `<prefix>:record:<name>`."""

    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> "RedisCoordination":
        return cls(open_redis(url), prefix)

    def lease_key(self, lease: str) -> str:
        return f"{self._prefix}:lease:{lease}"

    def record_key(self, record: str) -> str:
        return f"{self._prefix}:record:{record}"

    async def hold(self, lease: str, holder: str, ttl_s: float) -> bool:
        ttl_ms = max(1, int(ttl_s * 1000))
        return bool(await self._hold(keys=[self.lease_key(lease)], args=[holder, ttl_ms]))

    async def release(self, lease: str, holder: str) -> None:
        await self._release(keys=[self.lease_key(lease)], args=[holder])

    async def holder(self, lease: str) -> str | None:
        value = await self._redis.get(self.lease_key(lease))
        return value.decode() if isinstance(value, bytes) else value

    async def load(self, record: str) -> dict[str, str]:
        raw = await self._redis.hgetall(self.record_key(record))
        return {_text(key): _text(value) for key, value in raw.items()}

    async def save(self, record: str, fields: Mapping[str, str]) -> None:
        if fields:
            await self._redis.hset(self.record_key(record), mapping=dict(fields))  # type: ignore[arg-type]

    async def count(self, record: str, name: str) -> None:
        await self._redis.hincrby(self.record_key(record), name, 1)

    async def aclose(self) -> None:
        await self._redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class MemoryCoordination:
    def __init__(self) -> None:
        self._leases: dict[str, tuple[str, float]] = {}
        self._records: dict[str, dict[str, str]] = {}

    async def hold(self, lease: str, holder: str, ttl_s: float) -> bool:
        now = time.monotonic()
        current = self._leases.get(lease)
        if current is not None and current[0] != holder and current[1] > now:
            return False
        self._leases[lease] = (holder, now + ttl_s)
        return True

    async def release(self, lease: str, holder: str) -> None:
        if self._leases.get(lease, ("", 0.0))[0] == holder:
            del self._leases[lease]

    async def holder(self, lease: str) -> str | None:
        current = self._leases.get(lease)
        return current[0] if current is not None and current[1] > time.monotonic() else None

    async def load(self, record: str) -> dict[str, str]:
        return dict(self._records.get(record, {}))

    async def save(self, record: str, fields: Mapping[str, str]) -> None:
        self._records.setdefault(record, {}).update(fields)

    async def count(self, record: str, name: str) -> None:
        fields = self._records.setdefault(record, {})
        fields[name] = str(int(fields.get(name, "0")) + 1)

    async def aclose(self) -> None:
        self._leases.clear()
