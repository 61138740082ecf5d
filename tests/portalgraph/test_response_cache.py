"""The response cache's store (`portalgraph.response_cache`): bounded by bytes, least recently
used first out; evicted by dependency; an answer whose dependency was evicted while it was
computed is not kept; expiry on the injected clock."""

from datetime import timedelta

from connectors.base.records import System
from portalgraph.response_cache import Answer, EntityEvictions, ResponseCache
from tests.clock import ManualClock

ORDER = "key:erp:order:4711"
ORDERS = "tag:erp:orders-of-customer#{100001}"


def answer(clock: ManualClock, body: str = "x" * 1000, ttl_s: float = 2.0) -> Answer:
    return Answer.of(
        {"orders": {"text": body}, "viewer": None},
        (System.ERP,),
        clock.now,
        clock.now + timedelta(seconds=ttl_s),
    )


def test_an_answer_is_kept_until_it_expires() -> None:
    clock = ManualClock()
    cache = ResponseCache(max_bytes=100_000, clock=clock)
    assert cache.put(("q",), answer(clock), frozenset({ORDER}), cache.begin(), extra=1)
    found = cache.get(("q",))
    assert found is not None
    assert found.data()["viewer"] is None
    assert found.systems == (System.ERP,)
    clock.advance(2)
    assert cache.get(("q",)) is None
    assert len(cache) == 0
    assert cache.bytes == 0


def test_memory_is_bounded_and_the_least_recently_used_goes_first() -> None:
    clock = ManualClock()
    one = answer(clock)
    cache = ResponseCache(max_bytes=5 * (one.size + 1000), clock=clock)
    for n in range(20):
        cache.put((n,), answer(clock), frozenset({f"key:{n}"}), cache.begin(), extra=0)
        assert cache.get((0,)) is not None  # the first stays: it is used every time
        assert cache.bytes <= cache.max_bytes
    assert len(cache) < 20
    assert cache.get((1,)) is None
    assert cache.get((19,)) is not None
    big = answer(clock, body="x" * cache.max_bytes)
    assert not cache.put(("big",), big, frozenset(), cache.begin(), extra=0)


def test_an_eviction_of_a_dependency_drops_the_answer_and_only_it() -> None:
    clock = ManualClock()
    cache = ResponseCache(max_bytes=100_000, clock=clock)
    evictions = EntityEvictions(cache)
    cache.put(("order",), answer(clock), frozenset({ORDER}), cache.begin(), extra=0)
    cache.put(("list",), answer(clock), frozenset({ORDERS}), cache.begin(), extra=0)
    cache.put(("other",), answer(clock), frozenset({"key:erp:order:1"}), cache.begin(), extra=0)
    evictions.evict(frozenset({"erp:order:4711"}), frozenset())
    assert cache.get(("order",)) is None
    evictions.evict(frozenset(), frozenset({"erp:orders-of-customer#{100001}"}))
    assert cache.get(("list",)) is None
    assert cache.get(("other",)) is not None
    evictions.clear()
    assert cache.get(("other",)) is None


def test_an_answer_computed_across_an_eviction_of_its_dependency_is_not_kept() -> None:
    clock = ManualClock()
    cache = ResponseCache(max_bytes=100_000, clock=clock)
    since = cache.begin()
    cache.evict(["key:unrelated"])
    assert cache.put(("a",), answer(clock), frozenset({"key:a"}), since, extra=0)
    since = cache.begin()
    cache.evict([ORDER])  # a write while the query ran
    assert not cache.put(("b",), answer(clock), frozenset({ORDER}), since, extra=0)
    assert cache.get(("b",)) is None
