"""The event pipeline (domain.md §6): changes come in (webhooks, pollers), are appended to the
`inbox` stream once each, processed by exactly one replica (read back from the system of
record, cache entries invalidated) and published to the `graph` stream, which every
replica's subscribers follow.

Ingesting also invalidates what the change itself names, before it is acknowledged: a query
right after a webhook already reads fresh data, on every replica (the cache is shared).
"""

import asyncio
import logging
import time

from connectors.base.changes import CHANGE_CODEC, Change
from connectors.base.errors import UpstreamError
from infra.cache import Cache
from infra.events import Entry, EventStream
from resolvers.invalidation import invalidate
from resolvers.settle import settle
from resolvers.upstreams import Upstreams

INBOX = "inbox"
GRAPH = "graph"
GROUP = "processors"
BATCH = 16
READ_TIMEOUT_S = 1.0
MAX_DELIVERIES = 5
"""A change that failed this often (its system of record kept failing) is dropped, logged."""

log = logging.getLogger(__name__)


def encode(change: Change) -> bytes:
    return CHANGE_CODEC.dump_json(change)


def decode(data: bytes) -> Change:
    return CHANGE_CODEC.validate_json(data)


class Pipeline:
    def __init__(
        self,
        stream: EventStream,
        upstreams: Upstreams,
        cache: Cache,
        consumer: str,
        claim_idle_s: float,
    ) -> None:
        self.stream = stream
        self._upstreams = upstreams
        self._cache = cache
        self._consumer = consumer
        self._claim_idle_s = claim_idle_s
        self._attempts: dict[str, int] = {}
        """Inbox id → failed attempts of this consumer, for entries it retries itself (a
        re-read of its own pending entries does not count deliveries)."""

    async def ingest(self, change: Change) -> str | None:
        """Append the change unless its (source, event id) was seen; answers the inbox id, or
        None for a duplicate. Returns only once the change is durably in the stream (on the
        required Redis replicas too). Publishing does not wait so: it would stall processing
        while a promoted primary has no replica yet. Replication keeps a server's writes in
        order, so a failover that keeps the acknowledgement of an inbox entry keeps its
        publication (both streams live on one node, also of a Redis Cluster: `stream_key`)."""
        entry_id = await self.stream.append(
            INBOX, encode(change), once=change.dedupe_key, durable=True
        )
        if entry_id is not None:
            await invalidate(self._cache, change)
        return entry_id

    async def run(self) -> None:
        """Process the inbox as this replica's consumer until cancelled; every
        `claim_idle_s / 2` take over what a dead consumer left unfinished. At start and after a
        failure (a Redis failover among them), first finish what this consumer was handed and
        never acknowledged."""
        claimed_at = 0.0
        backoff = 0.1
        recovering = True
        while True:
            try:
                entries: list[Entry] = []
                if recovering:
                    entries = await self.stream.own_pending(INBOX, GROUP, self._consumer, BATCH)
                    recovering = len(entries) == BATCH  # more of them: the next round too
                if time.monotonic() - claimed_at >= self._claim_idle_s / 2:
                    claimed_at = time.monotonic()
                    entries += await self.stream.claim_stale(
                        INBOX, GROUP, self._consumer, self._claim_idle_s, BATCH
                    )
                entries += await self.stream.read_group(
                    INBOX, GROUP, self._consumer, BATCH, READ_TIMEOUT_S
                )
                once = {entry.id: entry for entry in entries}  # own pending may be claimed too
                unfinished = [entry for entry in once.values() if not await self.process(entry)]
                failed = bool(unfinished)  # an upstream failed: again soon, not at the next claim
            except Exception:
                log.exception("processing %s failed; retrying in %.1fs", INBOX, backoff)
                failed = True
            if failed:
                recovering = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            else:
                backoff = 0.1

    async def process(self, entry: Entry) -> bool:
        """Read back, invalidate, publish once (keyed by the inbox id), acknowledge; True when
        done. An upstream failure leaves the entry unacknowledged and answers False: this
        consumer tries it again (`run`), up to `MAX_DELIVERIES` attempts in all."""
        try:
            change = decode(entry.data)
        except ValueError:
            log.error("undecodable inbox entry %s dropped", entry.id)
            await self._ack(entry)
            return True
        deliveries = max(entry.deliveries, self._attempts.get(entry.id, 0) + 1)
        if deliveries > MAX_DELIVERIES:
            attempts = deliveries - 1
            log.error("%s %s dropped after %d attempts", change.kind, change.entity_id, attempts)
            await self._ack(entry)
            return True
        try:
            settled = await settle(change, self._upstreams)
        except UpstreamError as error:
            log.warning("reading back %s %s failed: %s", change.entity, change.entity_id, error)
            self._attempts[entry.id] = deliveries
            return False
        if settled is not None:
            await invalidate(self._cache, settled)
            await self.stream.append(GRAPH, encode(settled), once=f"graph:{entry.id}")
        await self._ack(entry)
        return True

    async def _ack(self, entry: Entry) -> None:
        await self.stream.ack(INBOX, GROUP, [entry.id])
        self._attempts.pop(entry.id, None)
