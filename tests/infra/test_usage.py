"""Usage counted in the process and added to Redis in batches (`infra.usage.BatchedUsage`):
each request counted exactly once, whether a flush succeeds, fails before Redis saw it, or
fails after Redis applied it; nothing lost on a graceful stop."""

from collections.abc import AsyncIterator, Sequence
from datetime import date

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from infra.usage import Batch, BatchedUsage, RedisUsage, UsageCounts
from tests.waiting import wait_until

DAY = date(2026, 3, 2)
ORG = "0000100001"


class Flaky:
    """Redis usage whose next add fails, before or after Redis applied it (a lost reply)."""

    def __init__(self, tallies: RedisUsage) -> None:
        self.tallies = tallies
        self.fail: str | None = None
        self.added = 0

    async def add(self, batch: Batch, batch_id: str) -> None:
        failure, self.fail = self.fail, None
        if failure == "before":
            raise RedisConnectionError("down")
        await self.tallies.add(batch, batch_id)
        self.added += 1
        if failure == "after":
            raise RedisConnectionError("reply lost")

    async def counts(self, organization: str, days: Sequence[date]) -> UsageCounts:
        return await self.tallies.counts(organization, days)

    async def organizations(self) -> list[str]:
        return await self.tallies.organizations()

    async def aclose(self) -> None:
        await self.tallies.aclose()


@pytest.fixture
async def flaky(redis_url: str, redis_prefix: str) -> AsyncIterator[Flaky]:
    tallies = Flaky(RedisUsage.from_url(redis_url, redis_prefix, retention_days=1))
    yield tallies
    await tallies.aclose()


async def requests(usage: BatchedUsage, count: int, first: int = 0) -> None:
    for n in range(first, first + count):
        await usage.record(ORG, DAY, f"user-{n % 3}", f"session-{n % 5}", ["INVOICE_LOOKUP"])


async def test_each_request_is_added_once_however_often_it_flushes(flaky: Flaky) -> None:
    usage = BatchedUsage(flaky, max_pending=10**6)
    await requests(usage, 20)
    assert await flaky.counts(ORG, [DAY]) == UsageCounts(0, 0, {})  # pending in the process
    await usage.flush()
    await usage.flush()
    counted = await flaky.counts(ORG, [DAY])
    assert counted == UsageCounts(3, 5, {"INVOICE_LOOKUP": 20})
    assert flaky.added == 1  # the second flush had nothing to add
    assert await usage.counts(ORG, [DAY]) == counted
    assert await usage.organizations() == [ORG]


@pytest.mark.parametrize("failure", ["before", "after"])
async def test_counts_stay_exact_across_a_failed_flush(flaky: Flaky, failure: str) -> None:
    usage = BatchedUsage(flaky, max_pending=10**6)
    await requests(usage, 7)
    flaky.fail = failure
    await usage.flush()  # logged, the batch kept
    await requests(usage, 5, first=7)
    await usage.flush()  # the kept batch again (applied once), then the new one
    assert await flaky.counts(ORG, [DAY]) == UsageCounts(3, 5, {"INVOICE_LOOKUP": 12})


async def test_a_read_flushes_and_a_full_batch_flushes_itself(flaky: Flaky) -> None:
    usage = BatchedUsage(flaky, max_pending=4)
    await requests(usage, 4)
    assert flaky.added == 1
    await requests(usage, 1, first=4)
    assert (await usage.counts(ORG, [DAY])).actions == {"INVOICE_LOOKUP": 5}


async def test_pending_usage_is_added_periodically_and_at_close(
    redis_url: str, redis_prefix: str
) -> None:
    reader = RedisUsage.from_url(redis_url, redis_prefix, retention_days=1)
    usage = BatchedUsage(
        RedisUsage.from_url(redis_url, redis_prefix, retention_days=1), interval_s=0.05
    )
    try:
        usage.start()
        await requests(usage, 3)

        async def added() -> bool:
            return (await reader.counts(ORG, [DAY])).actions == {"INVOICE_LOOKUP": 3}

        await wait_until(added)
        await requests(usage, 2, first=3)
    finally:
        await usage.aclose()
    assert (await reader.counts(ORG, [DAY])).actions == {"INVOICE_LOOKUP": 5}
    await reader.aclose()
