"""Event subscriptions: the changes of the viewer's organization that it may see, from a
cursor on, each re-resolved through fresh loaders like a query.

Filtering happens here, from the token: the organization is the principal's tenant (never a
client argument), the areas are those `event_access.may_receive` grants. Each delivered event
is current in `CURRENT_EVENT` while its payload is executed, so the schema extension can put
its cursor into the payload's `extensions`.

A WebSocket subscriber whose events can come from an execution shared with others (equal
document, variables and authorization scope: `portalgraph.multiplex`) is first checked here
like any other, then handed to that execution through `SHARED_START` instead of following the
stream itself.
"""

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base import deadline
from connectors.base.changes import Change
from infra.events import CursorExpired, InvalidCursor
from infra.fanout import Delivery, Fanout, Subscription
from resolvers.context import Context
from resolvers.errors import BadUserInput, ErrorCode, GatewayError, Unauthenticated
from resolvers.event_access import ENTITY_AREAS, may_receive
from resolvers.loaders import Loaders

CURRENT_EVENT: ContextVar[Delivery[Change] | None] = ContextVar("current_event", default=None)
SHARED_START: ContextVar[Callable[[], bool] | None] = ContextVar("shared_start", default=None)
"""Set while a subscriber that may share an execution subscribes: called once its checks
passed, it answers whether a shared execution took the subscriber (which then follows no
stream of its own)."""
SHARED_LOADERS = 64
"""How many recent events keep their loaders for the subscribers still resolving them."""


class CursorTooOld(GatewayError):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.CURSOR_EXPIRED,
            "Events after this cursor are no longer retained: query the current state, then "
            "subscribe again without `after`.",
        )


@dataclass
class EventFeed:
    """What every subscription of this replica shares: the fan-out of graph events, and fresh
    loaders per event."""

    fanout: Fanout[Change]
    new_loaders: Callable[[], Loaders]
    clock: Callable[[], datetime]
    deadline_s: float
    """Each event is answered within this, as a request is (the subscription lives longer)."""
    _recent: OrderedDict[str, Loaders] = field(default_factory=OrderedDict)

    def loaders_for(self, cursor: str) -> Loaders:
        """One set of fresh loaders per event, shared by this replica's subscribers that
        re-resolve it: one cache or upstream read per event, not one per subscriber. Loaders
        hold no tenant: every resolver checks ownership after loading."""
        if cursor not in self._recent:
            self._recent[cursor] = self.new_loaders()
            while len(self._recent) > SHARED_LOADERS:
                self._recent.popitem(last=False)
        return self._recent[cursor]


@dataclass
class StreamContext(Context):
    """The context of a long-lived request (a WebSocket connection, an SSE stream)."""

    feed: EventFeed | None = None
    last_event_id: str | None = None
    """SSE's `Last-Event-ID`: where a reconnecting stream resumes (and where an execution
    shared by several subscribers starts)."""
    expires_at: datetime | None = None
    """When the stream must end because its token expires (SSE; a WebSocket is closed by its
    connection handler)."""
    shared: bool = False
    """The context of an execution shared by several subscribers, each checked and counted
    (rate limits) when it subscribed."""


def _feed(ctx: Context) -> tuple[StreamContext, EventFeed]:
    if not isinstance(ctx, StreamContext) or ctx.feed is None:
        raise GatewayError(
            ErrorCode.BAD_USER_INPUT,
            "Subscriptions need a WebSocket (graphql-transport-ws or graphql-ws) or an SSE "
            "request (Accept: text/event-stream).",
        )
    return ctx, ctx.feed


async def open_changes(
    ctx: Context, areas: Collection[str], after: str | None
) -> AsyncIterator[Change]:
    """The viewer's organization's changes in `areas` it may see, after `after` (or SSE's
    Last-Event-ID), else from now. Checks permission and cursor before the first event."""
    stream, feed = _feed(ctx)
    principal = ctx.principal
    if principal is None:
        raise Unauthenticated()
    tenant = ctx.tenant
    if not any(may_receive(principal, area) for area in areas):
        raise GatewayError(ErrorCode.FORBIDDEN, "These events are not available to you.")
    cursor = after or stream.last_event_id
    if cursor is not None:
        try:
            await feed.fanout.stream.after(feed.fanout.topic, cursor, 1)
        except InvalidCursor:
            raise BadUserInput("`after` is not an event cursor.", "after") from None
        except CursorExpired:
            raise CursorTooOld() from None
    elif (share := SHARED_START.get()) is not None and share():
        return _none()
    return _changes(stream, feed, feed.fanout.subscribe(tenant, cursor), areas)


async def _none() -> AsyncIterator[Change]:
    return
    yield  # an async generator that ends at once


async def _changes(
    ctx: StreamContext,
    feed: EventFeed,
    subscription: Subscription[Change],
    areas: Collection[str],
) -> AsyncIterator[Change]:
    principal = ctx.principal
    assert principal is not None  # checked by open_changes
    try:
        while True:
            wait = None
            if ctx.expires_at is not None:  # token time is real time, not the (demo) clock
                wait = max(0.0, ctx.expires_at.timestamp() - time.time())
            try:
                delivery = await subscription.next(wait)
            except CursorExpired:
                raise CursorTooOld() from None
            if delivery is None:
                raise Unauthenticated("The token expired; reconnect with a fresh one.")
            change = delivery.item
            area = ENTITY_AREAS.get(change.entity, "")
            if area not in areas or not may_receive(principal, area):
                continue
            ctx.loaders = feed.loaders_for(delivery.cursor)
            ctx.now = feed.clock()
            deadline.restart(feed.deadline_s)
            CURRENT_EVENT.set(delivery)
            yield change
    finally:
        subscription.close()
