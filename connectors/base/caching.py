"""Read-through caching of batch reads, with stale data over no data (RFC 5861's
`stale-while-revalidate` and `stale-if-error`, per entity type).

Every entry keeps the time it was read upstream (`as_of`). An entry of age
    below `ttl_s`                  is fresh and served;
    below `2 × ttl_s`              is served at once (its `as_of` tells its age) and refreshed
                                   in the background, once per key;
    below `ttl_s + max_stale_s`    is refetched, and served flagged `stale` only if the
                                   upstream fails (or its circuit is open, or the bulkhead is
                                   full): stale means "old because the system failed";
    older                          is a miss (the cache has already expired it).
Misses are fetched in one batch: concurrent misses for one key in this process share one
upstream call, and across replicas a short claim in the cache makes the others wait for the
first replica's answer instead of asking the upstream as well. An invalidation releases the
claims on its keys: a fill that began before it does not store what it read (`infra.cache`),
replicas waiting for that fill fetch for themselves, and a read in this process that begins
after it does not share the fill's answer.

Keys are `<system>:<entity>:{<id>}`; authorization runs after the cache (records carry their
customer), so one entry serves every tenant's check safely. `None` results are not cached; a
TTL of 0 switches caching off for the entity type. Hits, misses and stale serves are counted
per entity type (`infra.metrics`) and per request (`infra.tally`).
Fresh entries are also kept decoded in this process for a moment (`connectors.base.local`),
so that a hot entry costs neither a round trip nor decoding.
An entity whose keys come in variants (a customer's list, once per filter) files each entry
under the tag of its group, so an event can drop all variants at once (`CachedEntity.tag`).
"""

import asyncio
import contextvars
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from connectors.base import deadline
from connectors.base.errors import UpstreamError, UpstreamTimeout
from connectors.base.local import LocalEntries
from connectors.base.reads import current_reads, filling, untracked
from connectors.base.records import System
from connectors.base.sources import current_report
from infra.cache import Cache, FillClaim
from infra.metrics import cache_stale_served, count_cache
from infra.tally import tally_cache
from infra.topology import hash_tag

T = TypeVar("T")
log = logging.getLogger("portalgraph.cache")

Fetch = Callable[[list[str]], Awaitable[Sequence[T | None]]]
FILL_CLAIM_S = 2.0
"""How long a replica may hold a key's fill claim; others wait at most this long for it."""
FILL_POLL_S = 0.02
REFRESH_DEADLINE_S = 10.0
"""A background refresh has no request; this is its deadline."""


@dataclass(frozen=True)
class CachedEntity(Generic[T]):
    """How one entity type is cached: its key namespace, TTL, stale window and serialization."""

    namespace: str
    ttl_s: float
    codec: TypeAdapter[T]
    max_stale_s: float = 0.0

    @property
    def system(self) -> System:
        return System(self.namespace.partition(":")[0])

    @property
    def keep_s(self) -> float:
        """How long the cache keeps an entry: while it may be served fresh or stale."""
        return self.ttl_s + max(self.ttl_s, self.max_stale_s)

    group_of: Callable[[str], str] | None = None
    """The group a key belongs to (a list key's customer), for entities stored in variants."""

    def key(self, key: str) -> str:
        """The cache key. It carries a hash tag, so that its fill claim is in its slot of a
        Redis Cluster (`infra.cache`): the key itself, or for an entry of a group the group,
        as its tag does."""
        if self.group_of is None:
            return f"{self.namespace}:{hash_tag(key)}"
        return f"{self.namespace}:{hash_tag(self.group_of(key))}:{key}"

    def tag_of(self, key: str) -> str | None:
        """The tag `key`'s entry is filed under, if its entity is stored in variants."""
        return None if self.group_of is None else self.tag(self.group_of(key))

    def tags(self, keys: Iterable[str]) -> dict[str, str]:
        """The tag each key's entry is filed under, by cache key (none for an untagged one)."""
        if self.group_of is None:
            return {}
        return {self.key(key): self.tag(self.group_of(key)) for key in keys}

    def tag(self, group: str) -> str:
        """The tag every entry of `group` is filed under."""
        return f"{self.namespace}#{hash_tag(group)}"


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A value (None: the upstream does not know the key) and when it was read upstream."""

    value: T | None
    as_of: datetime
    stale: bool = False


Outcome = Entry[T] | UpstreamError
"""Per key: an entry, or the upstream error that left no data to serve."""


@dataclass(frozen=True)
class Flight:
    """A fetch of one key under way in this process, and the first level's generation when it
    began (an eviction of the key since then: a later read must not share its answer)."""

    outcome: "asyncio.Future[Outcome[Any]]"
    generation: int


def encode(entity: CachedEntity[T], value: T, as_of: datetime) -> bytes:
    return b"%d|" % round(as_of.timestamp() * 1000) + entity.codec.dump_json(value)


def decode(entity: CachedEntity[T], raw: bytes | None) -> Entry[T] | None:
    """A stored entry, or None (a miss) when it is absent or no longer matches the record type."""
    if raw is None:
        return None
    stamp, _, body = raw.partition(b"|")
    try:
        return Entry(
            entity.codec.validate_json(body), datetime.fromtimestamp(int(stamp) / 1000, UTC)
        )
    except (ValueError, ValidationError):
        return None


class ReadThrough:
    """The gateway's cache in front of the ports; one per process, shared by all requests."""

    def __init__(
        self, cache: Cache, clock: Callable[[], datetime], local: LocalEntries | None = None
    ) -> None:
        """`local`: the first level in this process (none by default); `cache` must then be
        its `Evicting` wrapper of the shared cache, so that invalidations reach it."""
        self.cache = cache
        self._clock = clock
        self.local = local if local is not None else LocalEntries(ttl_s=0, max_entries=0)
        self._flights: dict[str, Flight] = {}
        self._refreshing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.stale_served = 0

    async def get_many(
        self, entity: CachedEntity[T], keys: Sequence[str], fetch: Fetch[T]
    ) -> list[Outcome[T]]:
        """Per key, in key order: an entry (stale ones flagged) or an upstream error."""
        if entity.ttl_s <= 0:  # caching switched off for this entity type
            untracked(f"{entity.namespace} is not cached")
            return await self._uncached(keys, fetch)
        generation = self.local.generation
        now = self._clock()

        def age(entry: Entry[T]) -> float:
            return (now - entry.as_of).total_seconds()

        found: dict[str, Outcome[T]] = self._from_local(entity, keys, age)
        in_process = set(found)
        asked = [key for key in dict.fromkeys(keys) if key not in found]
        stored = await self.cache.get_many([entity.key(key) for key in asked]) if asked else []
        kept = {
            key: e for key, raw in zip(asked, stored, strict=True) if (e := decode(entity, raw))
        }
        revalidate: list[str] = []
        missing: list[str] = []
        for key in asked:
            entry = kept.get(key)
            if entry is not None and age(entry) < 2 * entity.ttl_s:
                found[key] = entry
                if age(entry) >= entity.ttl_s:
                    revalidate.append(key)
            else:
                missing.append(key)
        count_cache(entity.namespace, len(found), len(missing))
        tally_cache(len(found), len(missing))
        if revalidate:
            self._revalidate(entity, revalidate, fetch)
        if missing:
            for key, outcome in (await self._fill(entity, missing, fetch)).items():
                entry = kept.get(key)
                if (
                    isinstance(outcome, UpstreamError)
                    and entry is not None
                    and age(entry) < entity.ttl_s + entity.max_stale_s
                ):
                    found[key] = replace(entry, stale=True)
                else:
                    found[key] = outcome
        self._keep_local(entity, found, in_process, age, generation)
        self._report(entity, list(found.values()))
        self._note_reads(entity, found)
        return [found[key] for key in keys]

    def _note_reads(self, entity: CachedEntity[T], found: dict[str, Outcome[T]]) -> None:
        """The entries an answer read, for the response cache (`connectors.base.reads`)."""
        reads = current_reads()
        if reads is None:
            return
        for key, outcome in found.items():
            if not isinstance(outcome, Entry) or outcome.stale:
                reads.untracked = reads.untracked or f"{entity.namespace} failed or is stale"
                continue
            reads.entry(
                entity.key(key), entity.tag_of(key), outcome.as_of + timedelta(seconds=entity.ttl_s)
            )

    def _from_local(
        self, entity: CachedEntity[T], keys: Sequence[str], age: Callable[[Entry[T]], float]
    ) -> dict[str, Outcome[T]]:
        """The fresh entries of `keys` this process holds decoded."""
        if not self.local.enabled:
            return {}
        found: dict[str, Outcome[T]] = {}
        for key in keys:
            entry = self.local.get(entity.key(key))
            if entry is not None and age(entry) < entity.ttl_s:
                found[key] = entry
        return found

    def _keep_local(
        self,
        entity: CachedEntity[T],
        found: dict[str, Outcome[T]],
        in_process: set[str],
        age: Callable[[Entry[T]], float],
        generation: int,
    ) -> None:
        """Keep the fresh entries read from the shared cache or the upstream in this process,
        for the rest of their freshness (at most the first level's TTL)."""
        if not self.local.enabled:
            return
        for key, outcome in found.items():
            if key in in_process or not isinstance(outcome, Entry) or outcome.value is None:
                continue
            if not outcome.stale:
                left = entity.ttl_s - max(0.0, age(outcome))
                self.local.put(entity.key(key), outcome, left, entity.tag_of(key), generation)

    async def _uncached(self, keys: Sequence[str], fetch: Fetch[T]) -> list[Outcome[T]]:
        try:
            values = await fetch(list(keys))
        except UpstreamError as error:
            return [error] * len(keys)
        as_of = self._stamp()
        return [Entry(value, as_of) for value in values]

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- filling: one upstream call per key, in this process and across replicas ----------

    async def _fill(
        self, entity: CachedEntity[T], keys: list[str], fetch: Fetch[T]
    ) -> dict[str, Outcome[T]]:
        """Fetch `keys`, sharing the fetch of any key already in flight in this process that
        no eviction of the key has overtaken."""
        loop = asyncio.get_running_loop()
        generation = self.local.generation
        ours: dict[str, Flight] = {}
        theirs: dict[str, Flight] = {}
        for key in keys:
            cache_key = entity.key(key)
            flight = self._flights.get(cache_key)
            if flight is not None and self.local.untouched(
                cache_key, entity.tag_of(key), flight.generation
            ):
                theirs[key] = flight
            else:
                ours[key] = self._flights[cache_key] = Flight(loop.create_future(), generation)
        outcomes: dict[str, Outcome[T]] = {}
        try:
            if ours:
                outcomes.update(await self._claimed_fetch(entity, list(ours), fetch))
        finally:
            for key, flight in ours.items():
                if self._flights.get(entity.key(key)) is flight:
                    del self._flights[entity.key(key)]
                abandoned = UpstreamTimeout(entity.system, "the shared fetch was abandoned")
                flight.outcome.set_result(outcomes.get(key, abandoned))
        for key, flight in theirs.items():
            outcomes[key] = await self._follow(entity, flight)
        return outcomes

    async def _follow(self, entity: CachedEntity[T], flight: Flight) -> Outcome[T]:
        try:
            async with asyncio.timeout(deadline.remaining()):
                outcome: Outcome[T] = await asyncio.shield(flight.outcome)
        except TimeoutError:
            return UpstreamTimeout(entity.system, "deadline passed waiting for a shared fetch")
        return outcome

    async def _claimed_fetch(
        self, entity: CachedEntity[T], keys: list[str], fetch: Fetch[T]
    ) -> dict[str, Outcome[T]]:
        """Fetch the keys this replica claims; wait for the others' fills."""
        claim = FillClaim(secrets.token_hex(8), entity.tags(keys))
        claimed = await self.cache.claim_many(
            [entity.key(key) for key in keys], claim, FILL_CLAIM_S
        )
        mine = [key for key, got in zip(keys, claimed, strict=True) if got]
        others = [key for key, got in zip(keys, claimed, strict=True) if not got]
        outcomes: dict[str, Outcome[T]] = {}
        if mine:
            outcomes.update(await self._fetch(entity, mine, fetch, claim))
        if others:
            outcomes.update(await self._await_replicas(entity, others, fetch, claim))
        return outcomes

    async def _await_replicas(
        self, entity: CachedEntity[T], keys: list[str], fetch: Fetch[T], claim: FillClaim
    ) -> dict[str, Outcome[T]]:
        """The entries other replicas are filling; a key whose claim is released (or expires)
        without a fresh entry appearing is fetched here after all, claimed with `claim` where
        no other replica claimed it again meanwhile."""
        outcomes: dict[str, Outcome[T]] = {}
        pending = list(keys)
        for _ in range(round(FILL_CLAIM_S / FILL_POLL_S)):
            left = deadline.remaining()
            if not pending or (left is not None and left <= FILL_POLL_S):
                break
            await asyncio.sleep(FILL_POLL_S)
            stored = await self.cache.get_claimed([entity.key(key) for key in pending])
            now = self._clock()
            still_claimed = []
            for key, (raw, claimed) in zip(pending, stored, strict=True):
                entry = decode(entity, raw)
                if entry is not None and (now - entry.as_of).total_seconds() < entity.ttl_s:
                    outcomes[key] = entry
                elif claimed:
                    still_claimed.append(key)
            given_up = [key for key in pending if key not in outcomes and key not in still_claimed]
            if given_up:
                outcomes.update(await self._reclaimed_fetch(entity, given_up, fetch, claim))
            pending = still_claimed
        if pending:
            outcomes.update(await self._reclaimed_fetch(entity, pending, fetch, claim))
        return outcomes

    async def _reclaimed_fetch(
        self, entity: CachedEntity[T], keys: list[str], fetch: Fetch[T], claim: FillClaim
    ) -> dict[str, Outcome[T]]:
        await self.cache.claim_many([entity.key(key) for key in keys], claim, FILL_CLAIM_S)
        return await self._fetch(entity, keys, fetch, claim)

    async def _fetch(
        self, entity: CachedEntity[T], keys: list[str], fetch: Fetch[T], claim: FillClaim
    ) -> dict[str, Outcome[T]]:
        """Fetch `keys` and store what was read where `claim` still holds; the claims
        are released whatever happens."""
        stored: dict[str, bytes | None] = {entity.key(key): None for key in keys}
        try:
            with filling():
                values = await fetch(keys)
            as_of = self._stamp()
            for key, value in zip(keys, values, strict=True):
                if value is not None:
                    stored[entity.key(key)] = encode(entity, value, as_of)
        except UpstreamError as error:
            return dict.fromkeys(keys, error)
        finally:
            await self.cache.fill_many(stored, claim, entity.keep_s)
        return {key: Entry(value, as_of) for key, value in zip(keys, values, strict=True)}

    def _stamp(self) -> datetime:
        """Now, as the cache stores it: UTC, to the millisecond."""
        now = self._clock().astimezone(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    # -- stale-while-revalidate -----------------------------------------------------------

    def _revalidate(self, entity: CachedEntity[T], keys: list[str], fetch: Fetch[T]) -> None:
        """Refresh `keys` in the background unless a refresh of theirs is already running."""
        keys = [key for key in keys if entity.key(key) not in self._refreshing]
        if not keys:
            return
        self._refreshing.update(entity.key(key) for key in keys)
        # an empty context: the refresh belongs to no request (no deadline, no report)
        task = asyncio.create_task(
            self._refresh(entity, keys, fetch), context=contextvars.Context()
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _refresh(self, entity: CachedEntity[T], keys: list[str], fetch: Fetch[T]) -> None:
        try:
            with deadline.deadline_after(REFRESH_DEADLINE_S):
                await self._fill(entity, keys, fetch)
        except Exception:
            log.exception("background refresh of %s failed", entity.namespace)
        finally:
            self._refreshing.difference_update(entity.key(key) for key in keys)

    def _report(self, entity: CachedEntity[T], outcomes: Iterable[Outcome[T]]) -> None:
        stale = sum(isinstance(o, Entry) and o.stale for o in outcomes)
        if stale:
            self.stale_served += stale
            cache_stale_served(entity.namespace, stale)
        report = current_report()
        if report is None:
            return
        report.consulted(entity.system)
        for outcome in outcomes:
            if isinstance(outcome, UpstreamError):
                report.failed(outcome)
            elif outcome.stale:
                report.stale(entity.system, outcome.as_of)
