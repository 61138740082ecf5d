"""Stored GraphQL documents by SHA-256: trusted documents (registered by the operator, kept
until replaced) and automatic persisted queries (registered by clients, kept for a TTL).
One protocol, a Redis implementation shared by every replica and an in-memory one."""

from collections import OrderedDict
from collections.abc import Mapping
from typing import Protocol

from infra.topology import RedisClient


class DocumentStore(Protocol):
    async def trusted(self, sha256: str) -> str | None: ...

    async def automatic(self, sha256: str) -> str | None: ...

    async def add_trusted(self, documents: Mapping[str, str]) -> None: ...

    async def add_automatic(self, sha256: str, query: str, ttl_s: float) -> None: ...


class MemoryDocumentStore:
    def __init__(self, max_automatic: int = 10_000) -> None:
        self._trusted: dict[str, str] = {}
        self._automatic: OrderedDict[str, str] = OrderedDict()
        self._max_automatic = max_automatic

    async def trusted(self, sha256: str) -> str | None:
        return self._trusted.get(sha256)

    async def automatic(self, sha256: str) -> str | None:
        return self._automatic.get(sha256)

    async def add_trusted(self, documents: Mapping[str, str]) -> None:
        self._trusted.update(documents)

    async def add_automatic(self, sha256: str, query: str, ttl_s: float) -> None:
        self._automatic[sha256] = query
        while len(self._automatic) > self._max_automatic:
            self._automatic.popitem(last=False)


class RedisDocumentStore:
    """Trusted documents in the hash `<prefix>:docs:trusted`, automatic ones under
    `<prefix>:docs:apq:<sha256>`."""

    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self._redis = redis
        self._trusted = f"{prefix}:docs:trusted"
        self._automatic = f"{prefix}:docs:apq:"

    async def trusted(self, sha256: str) -> str | None:
        return _text(await self._redis.hget(self._trusted, sha256))

    async def automatic(self, sha256: str) -> str | None:
        return _text(await self._redis.get(self._automatic + sha256))

    async def add_trusted(self, documents: Mapping[str, str]) -> None:
        if documents:
            # redis-py types the mapping invariantly over every encodable key type
            await self._redis.hset(self._trusted, mapping=dict(documents))  # type: ignore[arg-type]

    async def add_automatic(self, sha256: str, query: str, ttl_s: float) -> None:
        await self._redis.set(self._automatic + sha256, query, px=max(1, int(ttl_s * 1000)))


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value
