"""Fan-out to local subscribers: replay from a cursor, then live, without gap or duplicate;
routing by key; a subscriber that falls behind catches up from the stream."""

from collections.abc import AsyncIterator

import pytest

from infra.events import MemoryEventStream
from infra.fanout import Fanout

WAIT_S = 5.0


def route(item: str) -> str | None:
    """Items are `key:text`; an empty key is a broadcast."""
    return item.split(":", 1)[0] or None


@pytest.fixture
async def fanout() -> AsyncIterator[Fanout[str]]:
    stream = MemoryEventStream(max_len=100, dedupe_ttl_s=60)
    hub: Fanout[str] = Fanout(stream, "graph", bytes.decode, route, queue_size=2)
    await hub.start()
    yield hub
    await hub.aclose()


async def append(fanout: Fanout[str], *items: str) -> list[str]:
    return [str(await fanout.stream.append("graph", item.encode())) for item in items]


async def received(subscription: object, count: int) -> list[str]:
    from infra.fanout import Subscription

    assert isinstance(subscription, Subscription)
    items = []
    for _ in range(count):
        delivery = await subscription.next(WAIT_S)
        assert delivery is not None
        items.append(delivery.item)
    return items


async def test_replay_then_live_in_order_for_one_key_and_broadcasts(fanout: Fanout[str]) -> None:
    first, *_ = await append(fanout, "a:1", "b:x", "a:2", ":all")
    subscription = fanout.subscribe("a", after=first)
    replayed = await received(subscription, 2)
    await append(fanout, "b:y", "a:3")
    live = await received(subscription, 1)
    assert replayed + live == ["a:2", ":all", "a:3"]
    assert await subscription.next(0.05) is None
    subscription.close()
    assert fanout.subscriber_count == 0


async def test_a_subscriber_that_falls_behind_misses_nothing(fanout: Fanout[str]) -> None:
    subscription = fanout.subscribe("a")
    items = [f"a:{n}" for n in range(7)]  # more than the queue holds
    await append(fanout, *items)
    assert await received(subscription, len(items)) == items
    subscription.close()


async def test_an_event_in_the_stream_twice_is_delivered_once() -> None:
    """As after a Redis failover that lost a publication this process had read: the event is
    published again. Items are `key:text:n`; the identity is the text, whatever the copy."""
    stream = MemoryEventStream(max_len=100, dedupe_ttl_s=60)
    hub: Fanout[str] = Fanout(
        stream, "graph", bytes.decode, route, identity=lambda item: item.split(":")[1]
    )
    await hub.start()
    heard: list[str] = []
    hub.listen(heard.append)
    live = hub.subscribe("a")
    first, *_ = await append(hub, "a:x:1", "a:y:1", "a:x:2", "a:z:1")
    replaying = hub.subscribe("a", after=first)
    got_live = await received(live, 3)
    got_replayed = await received(replaying, 2)
    assert await live.next(0.05) is None
    assert await replaying.next(0.05) is None
    live.close()
    replaying.close()
    await hub.aclose()
    assert got_live == ["a:x:1", "a:y:1", "a:z:1"]
    assert got_replayed == ["a:y:1", "a:z:1"]  # after the first x: its copy is no news
    assert heard == got_live
