"""Wiring of the near-real-time parts for the app's lifespan: the event stream and the
coordination store (Redis, or memory for the demo without Redis), the pipeline's consumer,
the pollers of systems that cannot push, and the fan-out every subscription reads."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.base.changes import Change, ChangeFeed
from infra.cache import Cache
from infra.coordination import Coordination, MemoryCoordination, RedisCoordination
from infra.events import EventStream, MemoryEventStream, RedisEventStream
from infra.fanout import Fanout
from infra.topology import open_redis
from portalgraph.pipeline import GRAPH, Pipeline, decode
from portalgraph.pollers import Poller
from portalgraph.settings import Settings
from resolvers.loaders import Loaders
from resolvers.subscriptions import EventFeed
from resolvers.upstreams import Upstreams


@dataclass(frozen=True)
class Realtime:
    stream: EventStream
    coordination: Coordination
    pipeline: Pipeline
    feed: EventFeed
    pollers: list[Poller]


def _stores(settings: Settings, stack: AsyncExitStack) -> tuple[EventStream, Coordination]:
    if settings.redis_url is None:
        return (
            MemoryEventStream(settings.events_max_len, settings.events_dedupe_ttl_s),
            MemoryCoordination(),
        )
    redis = open_redis(settings.redis_url)  # blocking stream reads: no fail-fast timeouts
    stack.push_async_callback(redis.aclose)
    prefix = settings.cache_prefix
    stream = RedisEventStream(
        redis,
        prefix,
        settings.events_max_len,
        settings.events_dedupe_ttl_s,
        settings.events_min_replicas,
    )
    return stream, RedisCoordination(redis, prefix)


def _background(stack: AsyncExitStack, work: Awaitable[None]) -> None:
    task = asyncio.ensure_future(work)

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)


async def start_realtime(
    settings: Settings,
    upstreams: Upstreams,
    adapters: Iterable[Any],
    cache: Cache,
    new_loaders: Callable[[], Loaders],
    clock: Callable[[], datetime],
    stack: AsyncExitStack,
    on_change: Callable[[Change], None] | None = None,
) -> Realtime:
    """Start everything; `stack` stops it in reverse order (pollers release their leases).
    `on_change` is told of every change published, by whichever replica processed it."""
    stream, coordination = _stores(settings, stack)
    fanout: Fanout[Change] = Fanout(
        stream,
        GRAPH,
        decode,
        lambda change: change.customer,
        identity=lambda change: change.dedupe_key,
    )
    if on_change is not None:
        fanout.listen(on_change)
    await fanout.start()
    stack.push_async_callback(fanout.aclose)
    pipeline = Pipeline(stream, upstreams, cache, settings.replica_id, settings.events_claim_idle_s)
    _background(stack, pipeline.run())
    feeds = {id(a): a for a in adapters if settings.polling and isinstance(a, ChangeFeed)}
    pollers = [
        Poller(
            feed,
            pipeline,
            coordination,
            settings.replica_id,
            settings.erp_poll_interval_s,
            settings.poll_lease_ttl_s,
        )
        for feed in feeds.values()
    ]
    for poller in pollers:
        stack.push_async_callback(poller.release)
        _background(stack, poller.run())
    feed = EventFeed(fanout, new_loaders, clock, settings.request_deadline_s)
    return Realtime(stream, coordination, pipeline, feed, pollers)
