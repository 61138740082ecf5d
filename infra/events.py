"""The gateway's event streams: append-only logs that every replica shares, in Redis Streams,
and an in-memory implementation for one process (the demo without Redis).

A stream (a `topic`) keeps its newest `max_len` entries; an entry's id (`<ms>-<seq>`, as Redis
assigns it) is its cursor, totally ordered. Three ways to read:

- `after(cursor)` / `follow(cursor)`: every reader sees every entry (fan-out, replay);
- `read_group` + `ack`: a consumer group shares the entries among its consumers, each handled
  once; `claim_stale` takes over what a consumer read but never acknowledged (it died).

`append(..., once=key)` appends only the first time a key is seen within `dedupe_ttl_s`, in
one atomic step, so a retried webhook or a re-polled change is never appended twice.

With `min_replicas`, a `durable` append returns only once that many Redis replicas have the
entry too (`WAIT`, on the connection that wrote it), and raises `NotReplicated` otherwise:
whoever was told "stored" keeps being right after the primary fails over to a replica.
"""

import asyncio
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import RedisCluster
from redis.exceptions import ResponseError

from infra.topology import RedisClient, hash_tag, open_redis

REPLICATION_TIMEOUT_S = 1.0
"""How long an append waits for its replicas before it is refused (`NotReplicated`)."""
FIELD = "d"
"""The one field of a Redis stream entry: the payload."""
ZERO = "0-0"
PURGE_INTERVAL_S = 60.0


@dataclass(frozen=True)
class Entry:
    id: str
    data: bytes
    deliveries: int = 1
    """How often a consumer group has handed this entry out (1 the first time)."""


class CursorExpired(Exception):
    """Entries after this cursor were already trimmed: reading on from it would miss some."""


class InvalidCursor(ValueError):
    """Not a stream id (`<milliseconds>-<sequence>`)."""


class NotReplicated(Exception):
    """Fewer Redis replicas than required confirmed an append in time (it may still be kept)."""


def position(entry_id: str) -> tuple[int, int]:
    """A stream id as a comparable pair; raises InvalidCursor."""
    ms, _, seq = entry_id.partition("-")
    if not ms.isdigit() or not (seq or "0").isdigit():
        raise InvalidCursor(f"{entry_id!r} is not a stream cursor")
    return int(ms), int(seq or 0)


class EventStream(Protocol):
    async def append(
        self, topic: str, data: bytes, *, once: str | None = None, durable: bool = False
    ) -> str | None:
        """Append an entry and answer its id; `None` when `once` was already used. `durable`:
        on the required replicas too, else raise `NotReplicated`."""
        ...

    async def after(self, topic: str, cursor: str, count: int) -> list[Entry]:
        """Up to `count` retained entries after `cursor`, oldest first; raises CursorExpired
        when entries after it were trimmed, InvalidCursor when it is no stream id."""
        ...

    async def follow(self, topic: str, cursor: str, count: int, timeout_s: float) -> list[Entry]:
        """Like `after`, but waits up to `timeout_s` for entries when there are none yet."""
        ...

    async def last_id(self, topic: str) -> str:
        """The id of the newest entry ever appended (`0-0` for a new stream)."""
        ...

    async def read_group(
        self, topic: str, group: str, consumer: str, count: int, timeout_s: float
    ) -> list[Entry]:
        """Entries no consumer of `group` got yet, now given to `consumer`; waits up to
        `timeout_s` for some. A new group starts at the oldest retained entry."""
        ...

    async def claim_stale(
        self, topic: str, group: str, consumer: str, idle_s: float, count: int
    ) -> list[Entry]:
        """Entries given to a consumer of `group` more than `idle_s` ago and never
        acknowledged, now given to `consumer`."""
        ...

    async def own_pending(self, topic: str, group: str, consumer: str, count: int) -> list[Entry]:
        """Entries given to `consumer` and never acknowledged: after a Redis failover, those
        whose handing-out was replicated but whose processing was not."""
        ...

    async def ack(self, topic: str, group: str, ids: Sequence[str]) -> None: ...

    async def aclose(self) -> None: ...


_APPEND = """
if #KEYS == 3 and not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then
  return false
end
local length = redis.call('XLEN', KEYS[1])
local keep = tonumber(ARGV[2])
if length >= keep then
  local trimmed = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', length - keep + 1)
  redis.call('SET', KEYS[2], trimmed[#trimmed][1])
end
return redis.call('XADD', KEYS[1], 'MAXLEN', keep, '*', 'd', ARGV[3])
"""
"""One atomic step: drop a duplicate (a `once` key seen before), note the newest entry the
cap trims (so `after` can tell a cursor that lost entries), append."""


def stream_key(prefix: str, topic: str) -> str:
    """A topic's stream, `<prefix>:stream:{events}:<topic>`: one hash tag for every topic keeps
    the streams, their trim marks and dedupe keys on one node of a Redis Cluster, so that
    replication, which keeps one server's writes in order, never keeps an acknowledgement on
    one stream (the inbox) while losing the write it followed on another (the publication)."""
    return f"{prefix}:stream:{hash_tag('events')}:{topic}"


class RedisEventStream:
    """Streams at `stream_key(prefix, topic)`, the newest trimmed id at `…:trimmed`, dedupe
    keys at `…:once:<key>`."""

    def __init__(
        self,
        redis: RedisClient,
        prefix: str,
        max_len: int,
        dedupe_ttl_s: float,
        min_replicas: int = 0,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._max_len = max_len
        self._dedupe_ttl_ms = int(dedupe_ttl_s * 1000)
        self._min_replicas = min_replicas
        self._append = redis.register_script(_APPEND)
        self._groups: set[tuple[str, str]] = set()

    @classmethod
    def from_url(
        cls, url: str, prefix: str, max_len: int, dedupe_ttl_s: float, min_replicas: int = 0
    ) -> "RedisEventStream":
        return cls(open_redis(url), prefix, max_len, dedupe_ttl_s, min_replicas)

    def _key(self, topic: str) -> str:
        return stream_key(self._prefix, topic)

    async def append(
        self, topic: str, data: bytes, *, once: str | None = None, durable: bool = False
    ) -> str | None:
        keys = [self._key(topic), f"{self._key(topic)}:trimmed"]
        if once is not None:
            keys.append(f"{self._key(topic)}:once:{once}")
        args: list[Any] = [self._dedupe_ttl_ms, self._max_len, data]
        if durable and self._min_replicas:
            entry_id = await self._append_replicated(keys, args)
        else:
            entry_id = await self._append(keys=keys, args=args)
        return _text(entry_id) if entry_id else None

    async def _append_replicated(self, keys: list[str], args: list[Any]) -> Any:
        """The append and a WAIT in one pipeline: WAIT counts the writes of its connection,
        and a pipeline sends both on one (on a Cluster, the one to the stream's node)."""
        wait = ("WAIT", self._min_replicas, int(REPLICATION_TIMEOUT_S * 1000))
        node: dict[str, Any] = {}
        if isinstance(self._redis, RedisCluster):
            await self._redis.initialize()
            node["target_nodes"] = self._redis.get_node_from_key(keys[0])
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.execute_command("EVAL", _APPEND, len(keys), *keys, *args)
            pipe.execute_command(*wait, **node)
            entry_id, replicas = await pipe.execute()
        if int(replicas) < self._min_replicas:
            raise NotReplicated(f"{replicas} of {self._min_replicas} replicas confirmed")
        return entry_id

    async def after(self, topic: str, cursor: str, count: int) -> list[Entry]:
        position(cursor)
        await self._check_retained(topic, cursor)
        found = await self._redis.xrange(self._key(topic), min=f"({cursor}", count=count)
        return [_entry(entry_id, fields) for entry_id, fields in found or []]

    async def _check_retained(self, topic: str, cursor: str) -> None:
        trimmed = await self._redis.get(f"{self._key(topic)}:trimmed")
        if trimmed is not None and position(cursor) < position(_text(trimmed)):
            raise CursorExpired(cursor)

    async def follow(self, topic: str, cursor: str, count: int, timeout_s: float) -> list[Entry]:
        answer = await self._redis.xread(
            {self._key(topic): cursor}, count=count, block=max(1, int(timeout_s * 1000))
        )
        return _entries(answer)

    async def last_id(self, topic: str) -> str:
        try:
            info = await self._redis.xinfo_stream(self._key(topic))
        except ResponseError:
            return ZERO
        return _text(info["last-generated-id"])

    async def read_group(
        self, topic: str, group: str, consumer: str, count: int, timeout_s: float
    ) -> list[Entry]:
        return await self._read_group(
            topic, group, consumer, ">", count, block=max(1, int(timeout_s * 1000))
        )

    async def _read_group(
        self, topic: str, group: str, consumer: str, start: str, count: int, block: int | None
    ) -> list[Entry]:
        await self._ensure_group(topic, group)
        try:
            answer = await self._redis.xreadgroup(
                group, consumer, {self._key(topic): start}, count=count, block=block
            )
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            self._groups.discard((topic, group))  # the stream was deleted: make it anew
            return []
        return _entries(answer)

    async def _ensure_group(self, topic: str, group: str) -> None:
        if (topic, group) in self._groups:
            return
        try:
            await self._redis.xgroup_create(self._key(topic), group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._groups.add((topic, group))

    async def claim_stale(
        self, topic: str, group: str, consumer: str, idle_s: float, count: int
    ) -> list[Entry]:
        await self._ensure_group(topic, group)
        idle_ms = int(idle_s * 1000)
        pending = await self._redis.xpending_range(
            self._key(topic), group, min="-", max="+", count=count, idle=idle_ms
        )
        if not pending:
            return []
        delivered = {_text(p["message_id"]): int(p["times_delivered"]) for p in pending}
        claimed: list[Any] = await self._redis.xclaim(
            self._key(topic), group, consumer, idle_ms, list(delivered)
        )
        return [
            _entry(entry_id, fields, delivered[_text(entry_id)] + 1)
            for entry_id, fields in claimed
            if fields  # an entry trimmed meanwhile comes back empty
        ]

    async def own_pending(self, topic: str, group: str, consumer: str, count: int) -> list[Entry]:
        entries = await self._read_group(topic, group, consumer, "0", count, block=None)
        return [entry for entry in entries if entry.data]  # trimmed ones come back empty

    async def ack(self, topic: str, group: str, ids: Sequence[str]) -> None:
        if ids:
            await self._redis.xack(self._key(topic), group, *ids)

    async def ping(self) -> None:
        await self._redis.ping()

    async def aclose(self) -> None:
        await self._redis.aclose()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entries(answer: Any) -> list[Entry]:
    """The entries of an XREAD or XREADGROUP answer (one stream)."""
    return [_entry(entry_id, fields) for _, entries in answer or [] for entry_id, fields in entries]


def _entry(entry_id: Any, fields: Any, deliveries: int = 1) -> Entry:
    data = fields.get(FIELD.encode(), fields.get(FIELD, b""))
    return Entry(_text(entry_id), data.encode() if isinstance(data, str) else data, deliveries)


@dataclass
class _Group:
    delivered: tuple[int, int] = (0, 0)
    pending: dict[str, tuple[str, float, int]] = field(default_factory=dict)
    """Entry id → (consumer, when it was handed out, deliveries)."""


@dataclass
class _Topic:
    entries: deque[Entry]
    last: tuple[int, int] = (0, 0)
    trimmed: tuple[int, int] = (0, 0)
    groups: dict[str, _Group] = field(default_factory=dict)
    grown: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryEventStream:
    """The same contract in one process: bounded deques, consumer groups, dedupe keys."""

    def __init__(self, max_len: int, dedupe_ttl_s: float) -> None:
        self._max_len = max_len
        self._dedupe_ttl_s = dedupe_ttl_s
        self._topics: dict[str, _Topic] = {}
        self._seen: dict[str, float] = {}
        self._next_purge = 0.0

    def _topic(self, name: str) -> _Topic:
        if name not in self._topics:
            self._topics[name] = _Topic(deque())
        return self._topics[name]

    async def append(
        self, topic: str, data: bytes, *, once: str | None = None, durable: bool = False
    ) -> str | None:
        now = time.monotonic()
        if once is not None:
            if self._seen.get(once, 0.0) > now:
                return None
            if now >= self._next_purge:  # forget expired keys now and then, not per append
                self._seen = {key: until for key, until in self._seen.items() if until > now}
                self._next_purge = now + PURGE_INTERVAL_S
            self._seen[once] = now + self._dedupe_ttl_s
        state = self._topic(topic)
        ms = max(int(time.time() * 1000), state.last[0])
        state.last = (ms, state.last[1] + 1 if ms == state.last[0] else 0)
        state.entries.append(Entry(f"{state.last[0]}-{state.last[1]}", data))
        while len(state.entries) > self._max_len:
            state.trimmed = position(state.entries.popleft().id)
        state.grown.set()
        state.grown = asyncio.Event()
        return state.entries[-1].id

    async def after(self, topic: str, cursor: str, count: int) -> list[Entry]:
        start = position(cursor)
        state = self._topic(topic)
        if start < state.trimmed:
            raise CursorExpired(cursor)
        return [entry for entry in state.entries if position(entry.id) > start][:count]

    async def follow(self, topic: str, cursor: str, count: int, timeout_s: float) -> list[Entry]:
        state = self._topic(topic)
        start = position(cursor)
        found = [entry for entry in state.entries if position(entry.id) > start][:count]
        if found:
            return found
        try:
            await asyncio.wait_for(state.grown.wait(), timeout_s)
        except TimeoutError:
            return []
        return [entry for entry in state.entries if position(entry.id) > start][:count]

    async def last_id(self, topic: str) -> str:
        ms, seq = self._topic(topic).last
        return f"{ms}-{seq}"

    async def read_group(
        self, topic: str, group: str, consumer: str, count: int, timeout_s: float
    ) -> list[Entry]:
        state = self._topic(topic)
        cursor = state.groups.setdefault(group, _Group()).delivered
        entries = await self.follow(topic, f"{cursor[0]}-{cursor[1]}", count, timeout_s)
        handed = state.groups[group]
        fresh = [entry for entry in entries if position(entry.id) > handed.delivered]
        for entry in fresh:
            handed.pending[entry.id] = (consumer, time.monotonic(), 1)
            handed.delivered = position(entry.id)
        return fresh

    async def claim_stale(
        self, topic: str, group: str, consumer: str, idle_s: float, count: int
    ) -> list[Entry]:
        state = self._topic(topic)
        handed = state.groups.setdefault(group, _Group())
        now = time.monotonic()
        retained = {entry.id: entry for entry in state.entries}
        claimed: list[Entry] = []
        for entry_id, (_, since, deliveries) in list(handed.pending.items()):
            if len(claimed) == count or now - since < idle_s:
                continue
            if entry_id not in retained:
                del handed.pending[entry_id]
                continue
            handed.pending[entry_id] = (consumer, now, deliveries + 1)
            claimed.append(Entry(entry_id, retained[entry_id].data, deliveries + 1))
        return claimed

    async def own_pending(self, topic: str, group: str, consumer: str, count: int) -> list[Entry]:
        state = self._topic(topic)
        handed = state.groups.setdefault(group, _Group())
        mine = {entry_id for entry_id, (owner, _, _) in handed.pending.items() if owner == consumer}
        return [entry for entry in state.entries if entry.id in mine][:count]

    async def ack(self, topic: str, group: str, ids: Sequence[str]) -> None:
        handed = self._topic(topic).groups.get(group)
        for entry_id in ids:
            if handed is not None:
                handed.pending.pop(entry_id, None)

    async def aclose(self) -> None:
        self._topics.clear()
