"""One reader of a stream per process, many local subscribers: each subscriber gets the
entries of its key (an organization) in stream order, from a cursor on, each exactly once.

A subscriber that names a cursor first replays the retained entries after it, then continues
with live ones; one that falls behind (its queue is full) drops its queue and replays from
its last cursor, so a slow client costs bounded memory and still misses nothing.

An entry may be in the stream twice: after a Redis failover, a publication the old primary
took, and this process read, but that did not reach the promoted replica is published again
when its event is processed again. Given an `identity` (an event's source and id), the live
reader skips an entry whose identity it dispatched before (among the last
`RECENT_IDENTITIES`), and a replay one the reader or the replay itself saw earlier in the
stream: a subscriber that resumes after an event has had it, whichever copy it got.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from infra.events import CursorExpired, Entry, EventStream, InvalidCursor, position

T = TypeVar("T")
log = logging.getLogger(__name__)

BROADCAST = ""
"""The routing key of entries every subscriber gets (`route` answers None)."""
RECENT_IDENTITIES = 1024


class FirstSeen:
    """Where in the stream each of the last `size` identities was first seen."""

    def __init__(self, size: int = RECENT_IDENTITIES) -> None:
        self._first: dict[str, str] = {}  # in the order they were first seen
        self._size = size

    def earlier(self, identity: str, entry_id: str) -> bool:
        """Whether `identity` was seen before `entry_id`."""
        first = self._first.get(identity)
        return first is not None and position(first) < position(entry_id)

    def repeat(self, identity: str, entry_id: str) -> bool:
        """`earlier`, noting where `identity` was first seen otherwise."""
        if identity not in self._first:
            if len(self._first) >= self._size:
                del self._first[next(iter(self._first))]
            self._first[identity] = entry_id
        return self.earlier(identity, entry_id)


async def retrying(read: Callable[[], Awaitable[list[Entry]]], what: str) -> list[Entry]:
    """A read of the stream; an unavailable stream is retried after a bounded back-off, so an
    outage of Redis delays entries (and nobody gets an error), never loses them. A cursor
    that is trimmed or malformed raises at once."""
    backoff = 0.1
    while True:
        try:
            return await read()
        except (CursorExpired, InvalidCursor):
            raise
        except Exception:
            log.exception("%s failed; retrying in %.1fs", what, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)


@dataclass(frozen=True)
class Delivery(Generic[T]):
    cursor: str
    item: T


class Fanout(Generic[T]):
    def __init__(
        self,
        stream: EventStream,
        topic: str,
        decode: Callable[[bytes], T],
        route: Callable[[T], str | None],
        queue_size: int = 256,
        batch: int = 256,
        read_timeout_s: float = 2.0,
        identity: Callable[[T], str] | None = None,
    ) -> None:
        """`read_timeout_s` bounds each blocking read; keep it below the Redis client's
        socket timeout (redis-py: 5 s). `identity`: what makes two entries the same event."""
        self.stream = stream
        self.topic = topic
        self._decode = decode
        self._route = route
        self.identity = identity
        self.first_seen = FirstSeen()
        """Where the live reader first saw each recent identity."""
        self.queue_size = queue_size
        self.batch = batch
        self._read_timeout_s = read_timeout_s
        self._subscribers: dict[str, set[Subscription[T]]] = {}
        self._listeners: list[Callable[[T], None]] = []
        self.position = "0-0"
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.position = await self.stream.last_id(self.topic)
        self._reader = asyncio.create_task(self._read())

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    @property
    def subscriber_count(self) -> int:
        return sum(len(group) for group in self._subscribers.values())

    def subscribe(self, key: str, after: str | None = None) -> "Subscription[T]":
        """Entries for `key` (and broadcasts) after `after`, else after the current position.
        Close the subscription when done."""
        subscription = Subscription(self, key, after)
        self._subscribers.setdefault(key, set()).add(subscription)
        return subscription

    def listen(self, listener: Callable[[T], None]) -> None:
        """Call `listener` with every live entry, whatever its key (and before subscribers
        get it): for what this process must do with each, such as evicting cached entries."""
        self._listeners.append(listener)

    def _remove(self, subscription: "Subscription[T]") -> None:
        group = self._subscribers.get(subscription.key)
        if group is not None:
            group.discard(subscription)
            if not group:
                del self._subscribers[subscription.key]

    def decode(self, entry: Entry) -> T | None:
        try:
            return self._decode(entry.data)
        except ValueError:
            log.exception("undecodable entry %s in %s skipped", entry.id, self.topic)
            return None

    def replayed_before(self, item: T, entry_id: str, replayed: FirstSeen) -> bool:
        """Whether a replay has had `item`'s event before `entry_id` (noting it otherwise)."""
        if self.identity is None:
            return False
        identity = self.identity(item)
        if self.first_seen.earlier(identity, entry_id) or replayed.repeat(identity, entry_id):
            self.skip(identity)
            return True
        return False

    def skip(self, identity: str) -> None:
        log.info("a repeat of an event in %s skipped: %s", self.topic, identity)

    def wanted_by(self, item: T, key: str) -> bool:
        return (self._route(item) or BROADCAST) in (key, BROADCAST)

    async def _read(self) -> None:
        """Follow the stream until cancelled."""
        while True:
            entries = await retrying(
                lambda: self.stream.follow(
                    self.topic, self.position, self.batch, self._read_timeout_s
                ),
                f"reading {self.topic}",
            )
            for entry in entries:
                self._dispatch(entry)
                self.position = entry.id

    def _dispatch(self, entry: Entry) -> None:
        item = self.decode(entry)
        if item is None:
            return
        identity = self.identity(item) if self.identity is not None else None
        if identity is not None and self.first_seen.repeat(identity, entry.id):
            self.skip(identity)
            return
        for listener in self._listeners:
            listener(item)
        key = self._route(item) or BROADCAST
        targets = (
            [s for group in self._subscribers.values() for s in group]
            if key == BROADCAST
            else list(self._subscribers.get(key, ()))
        )
        delivery = Delivery(entry.id, item)
        for subscription in targets:
            subscription.offer(delivery)


class Subscription(Generic[T]):
    def __init__(self, fanout: Fanout[T], key: str, after: str | None) -> None:
        self.key = key
        self._fanout = fanout
        self.cursor = after if after is not None else fanout.position
        """The last entry delivered (or skipped over during a replay)."""
        self._replaying = after is not None
        self._scanned = self.cursor
        """How far a replay has read the stream; its matches wait in the backlog."""
        self._backlog: deque[Delivery[T]] = deque()
        self._replayed: FirstSeen | None = None
        """While replaying: what the replay delivered."""
        self._queue: deque[Delivery[T]] = deque()
        self._lagged = False
        self._arrived = asyncio.Event()

    def offer(self, delivery: Delivery[T]) -> None:
        if self._lagged:
            return
        if len(self._queue) >= self._fanout.queue_size:
            self._lagged = True  # replay from the stream instead of queueing without bound
            self._queue.clear()
        else:
            self._queue.append(delivery)
        self._arrived.set()

    async def next(self, timeout_s: float | None = None) -> Delivery[T] | None:
        """The next entry after the cursor, or None when none arrives within `timeout_s`.
        Raises CursorExpired when replay would have to start before the retained entries."""
        while True:
            if self._lagged:
                self._lagged, self._replaying = False, True
                self._queue.clear()
                self._backlog.clear()
                self._replayed = None  # what the backlog held was not delivered
                self._scanned = self.cursor
            if self._replaying:
                replayed = await self._replay()
                if replayed is not None:
                    return replayed
                continue
            while self._queue:
                delivery = self._queue.popleft()
                if position(delivery.cursor) > position(self.cursor):
                    self.cursor = delivery.cursor
                    return delivery
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout_s)
            except TimeoutError:
                return None

    async def _replay(self) -> Delivery[T] | None:
        """The next retained entry for this key after the cursor, a page at a time; None
        (and live from then on) once the replay has caught up with the stream."""
        fanout = self._fanout
        replayed = self._replayed = self._replayed or FirstSeen()
        while not self._backlog:
            entries = await self._read_after(self._scanned)
            if not entries:
                self._replaying, self._replayed = False, None
                self.cursor = max(self.cursor, self._scanned, key=position)
                return None
            for entry in entries:
                item = fanout.decode(entry)
                if (
                    item is not None
                    and fanout.wanted_by(item, self.key)
                    and not fanout.replayed_before(item, entry.id, replayed)
                ):
                    self._backlog.append(Delivery(entry.id, item))
            self._scanned = entries[-1].id
        delivery = self._backlog.popleft()
        self.cursor = delivery.cursor
        return delivery

    async def _read_after(self, cursor: str) -> list[Entry]:
        fanout = self._fanout
        return await retrying(
            lambda: fanout.stream.after(fanout.topic, cursor, fanout.batch),
            f"replaying {fanout.topic}",
        )

    def close(self) -> None:
        self._fanout._remove(self)
