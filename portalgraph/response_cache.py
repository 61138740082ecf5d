"""Whole answers to queries, kept in this process for a few seconds (GraphQL Yoga's
`useResponseCache`, Hasura's `@cached`): a bounded LRU by bytes, each answer filed under its
dependencies, the strings whose eviction makes it stale:

    key:<entity cache key>    an entry it read (`connectors.base.reads`)
    tag:<entity cache tag>    a customer's list it read, in any variant
    subject:<token subject>   its caller, whose own mutations evict all their answers

Concurrent identical queries share one execution (`flight`, `land`): the first computes the
answer, the others wait for it rather than execute too, as when an answer expires under load.

The entity cache's first level tells it of every eviction (`LocalEntries.follow`): those of
this replica's writes and webhooks, and those other replicas ingested, from the graph stream.
An answer computed while one of its dependencies was evicted is not kept (`begin`, `put`), so
a query racing a write cannot store what the write made stale.

Why in process and not in Redis: a hit here costs a dictionary lookup; from Redis it would
cost a round trip and the transfer of the whole answer (tens of kilobytes for a dashboard),
about what executing it from the first level costs. A shared copy would also need the
evictions to reach Redis in order with the answers' fills, across replicas. Each replica
keeping its own answers for a few seconds needs no coordination: the bound on cross-replica
staleness is the first level's.
"""

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson

from connectors.base.records import System

RECENT_EVICTIONS = 256
"""Evictions remembered, to tell whether one since an answer's execution began concerned it."""
OVERHEAD_BYTES = 512
"""Counted per answer besides its body: its key, dependencies and bookkeeping (roughly)."""


@dataclass(frozen=True)
class Answer:
    """A query's `data`, encoded per root field (None: the field answered null), and the
    systems it consulted, in the order it did, for `extensions.sources`."""

    fields: dict[str, orjson.Fragment | None]
    size: int
    """The encoded fields' bytes."""
    systems: tuple[System, ...]
    stored_at: datetime
    expires_at: datetime

    @classmethod
    def of(
        cls,
        data: dict[str, object],
        systems: tuple[System, ...],
        stored_at: datetime,
        expires_at: datetime,
    ) -> "Answer":
        """`data` encoded as fragments, which orjson writes out as they are: a hit skips
        encoding too."""
        encoded = {name: None if v is None else orjson.dumps(v) for name, v in data.items()}
        return cls(
            {name: None if e is None else orjson.Fragment(e) for name, e in encoded.items()},
            sum(len(e) for e in encoded.values() if e is not None),
            systems,
            stored_at,
            expires_at,
        )

    def data(self) -> dict[str, object]:
        return dict(self.fields)


def subject_dependency(subject: str) -> str:
    return f"subject:{subject}"


@dataclass(frozen=True)
class _Kept:
    answer: Answer
    dependencies: frozenset[str]
    size: int


class ResponseCache:
    def __init__(self, max_bytes: int, clock: Callable[[], datetime]) -> None:
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._dependents: dict[str, set[Hashable]] = {}
        self.bytes = 0
        self.generation = 0
        """Moves on with every eviction; an execution notes it when it begins."""
        self._evictions: deque[tuple[int, frozenset[str]]] = deque(maxlen=RECENT_EVICTIONS)
        self._flights: dict[Hashable, asyncio.Future[Answer | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def now(self) -> datetime:
        return self._clock()

    def get(self, key: Hashable) -> Answer | None:
        kept = self._entries.get(key)
        if kept is None:
            return None
        if kept.answer.expires_at <= self._clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return kept.answer

    def flight(self, key: Hashable) -> "asyncio.Future[Answer | None] | None":
        """The answer to `key` being computed now, if it is."""
        return self._flights.get(key)

    def take_off(self, key: Hashable) -> bool:
        """Become the one computing `key`'s answer (False: another already is); whoever takes
        off must `land`."""
        if key in self._flights:
            return False
        self._flights[key] = asyncio.get_running_loop().create_future()
        return True

    def land(self, key: Hashable, answer: Answer | None) -> None:
        """The answer computed (None: none to share), for those waiting for it."""
        flight = self._flights.pop(key, None)
        if flight is not None and not flight.done():
            flight.set_result(answer)

    def begin(self) -> int:
        """The generation to pass to `put` for an answer whose execution begins now."""
        return self.generation

    def put(
        self, key: Hashable, answer: Answer, dependencies: frozenset[str], since: int, extra: int
    ) -> bool:
        """Keep `answer` unless one of its dependencies was evicted since `since` (or too many
        evictions happened to tell), or it is larger than the whole cache; `extra`: bytes
        its key holds besides. Older answers go first when the cache is full."""
        size = answer.size + extra + OVERHEAD_BYTES + sum(len(d) for d in dependencies)
        if size > self.max_bytes or not self._untouched(dependencies, since):
            return False
        self._drop(key)
        self._entries[key] = _Kept(answer, dependencies, size)
        self.bytes += size
        for dependency in dependencies:
            self._dependents.setdefault(dependency, set()).add(key)
        while self.bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))
        return True

    def evict(self, dependencies: Iterable[str]) -> None:
        evicted = frozenset(dependencies)
        self.generation += 1
        self._evictions.append((self.generation, evicted))
        for dependency in evicted:
            for key in self._dependents.pop(dependency, set()):
                self._drop(key)

    def clear(self) -> None:
        self.generation += 1
        self._evictions.clear()  # so no answer under way is kept
        self._entries.clear()
        self._dependents.clear()
        self.bytes = 0

    def _untouched(self, dependencies: frozenset[str], since: int) -> bool:
        newer = [evicted for generation, evicted in self._evictions if generation > since]
        if len(newer) < self.generation - since:
            return False  # forgotten evictions may have concerned it
        return not any(dependencies & evicted for evicted in newer)

    def _drop(self, key: Hashable) -> None:
        kept = self._entries.pop(key, None)
        if kept is None:
            return
        self.bytes -= kept.size
        for dependency in kept.dependencies:
            dependents = self._dependents.get(dependency)
            if dependents is not None:
                dependents.discard(key)
                if not dependents:
                    del self._dependents[dependency]


class EntityEvictions:
    """Follows the entity cache's first level (`LocalEntries.follow`): its evictions, as
    dependencies of the response cache."""

    def __init__(self, responses: ResponseCache) -> None:
        self.responses = responses

    def evict(self, keys: frozenset[str], tags: frozenset[str]) -> None:
        self.responses.evict([*(f"key:{k}" for k in keys), *(f"tag:{t}" for t in tags)])

    def clear(self) -> None:
        self.responses.clear()
