"""The event stream contract, run against both implementations: Redis (real) and memory."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from infra.events import (
    CursorExpired,
    EventStream,
    InvalidCursor,
    MemoryEventStream,
    NotReplicated,
    RedisEventStream,
)

MAX_LEN = 5


@pytest.fixture(params=["memory", "redis"])
async def stream(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> AsyncIterator[EventStream]:
    if request.param == "memory":
        implementation: EventStream = MemoryEventStream(MAX_LEN, dedupe_ttl_s=60)
    else:
        implementation = RedisEventStream.from_url(redis_url, redis_prefix, MAX_LEN, 60)
    yield implementation
    await implementation.aclose()


async def append_all(stream: EventStream, *payloads: bytes) -> list[str]:
    ids = [await stream.append("t", payload) for payload in payloads]
    assert all(ids)
    return [entry_id for entry_id in ids if entry_id]


async def test_a_dedupe_key_appends_once(stream: EventStream) -> None:
    first = await stream.append("t", b"a", once="source:evt-1")
    again = await stream.append("t", b"a", once="source:evt-1")
    other = await stream.append("t", b"b", once="source:evt-2")
    assert first is not None
    assert again is None
    assert other is not None
    assert [e.data for e in await stream.after("t", "0-0", 10)] == [b"a", b"b"]


async def test_after_reads_in_order_until_entries_after_the_cursor_were_trimmed(
    stream: EventStream,
) -> None:
    ids = await append_all(stream, *(str(n).encode() for n in range(MAX_LEN + 2)))
    retained = await stream.after("t", ids[1], 10)  # entries 0 and 1 are trimmed
    assert [e.data for e in retained] == [str(n).encode() for n in range(2, MAX_LEN + 2)]
    assert [e.id for e in await stream.after("t", ids[3], 2)] == ids[4:6]
    with pytest.raises(CursorExpired):
        await stream.after("t", ids[0], 10)
    with pytest.raises(InvalidCursor):
        await stream.after("t", "yesterday", 10)
    assert await stream.last_id("t") == ids[-1]


async def test_follow_waits_for_the_next_entry(stream: EventStream) -> None:
    cursor = await stream.last_id("t")
    waiting = asyncio.create_task(stream.follow("t", cursor, 10, timeout_s=10))
    appended = await stream.append("t", b"news")
    entries = await asyncio.wait_for(waiting, 10)
    assert [(e.id, e.data) for e in entries] == [(appended, b"news")]
    assert await stream.follow("t", entries[-1].id, 10, timeout_s=0.05) == []


async def test_a_group_hands_each_entry_to_one_consumer_and_passes_on_unfinished_ones(
    stream: EventStream,
) -> None:
    ids = await append_all(stream, b"1", b"2", b"3")
    first = await stream.read_group("t", "g", "c1", 2, timeout_s=1)
    second = await stream.read_group("t", "g", "c2", 2, timeout_s=1)
    assert [e.id for e in first] == ids[:2]
    assert [e.id for e in second] == ids[2:]
    await stream.ack("t", "g", [ids[0], ids[2]])
    claimed = await stream.claim_stale("t", "g", "c2", idle_s=0, count=10)
    assert [(e.id, e.deliveries) for e in claimed] == [(ids[1], 2)]
    await stream.ack("t", "g", [ids[1]])
    assert await stream.claim_stale("t", "g", "c2", idle_s=0, count=10) == []
    assert await stream.read_group("t", "g", "c1", 2, timeout_s=0.05) == []


async def test_a_consumer_gets_back_what_it_was_handed_and_never_acknowledged(
    stream: EventStream,
) -> None:
    ids = await append_all(stream, b"a", b"b", b"c")
    assert [e.id for e in await stream.read_group("t", "g", "c1", 2, timeout_s=0.05)] == ids[:2]
    assert [e.id for e in await stream.read_group("t", "g", "c2", 1, timeout_s=0.05)] == ids[2:]
    await stream.ack("t", "g", [ids[0]])

    mine = await stream.own_pending("t", "g", "c1", count=10)

    assert [(e.id, e.data) for e in mine] == [(ids[1], b"b")]
    assert [e.id for e in await stream.own_pending("t", "g", "c2", count=10)] == ids[2:]
    await stream.ack("t", "g", [ids[1]])
    assert await stream.own_pending("t", "g", "c1", count=10) == []


async def test_a_durable_append_without_the_required_replicas_is_refused(
    redis_url: str, redis_prefix: str
) -> None:
    """The test Redis has no replica: a durable append is kept but not confirmed, and says so;
    a plain one does not wait (the scale-out tests confirm on a real replica)."""
    stream = RedisEventStream.from_url(redis_url, redis_prefix, MAX_LEN, 60, min_replicas=1)
    try:
        with pytest.raises(NotReplicated):
            await stream.append("t", b"a", once="evt-1", durable=True)
        assert await stream.append("t", b"b") is not None
    finally:
        await stream.aclose()
