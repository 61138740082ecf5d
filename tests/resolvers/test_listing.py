"""Lists sort as their keys compare: a date-time's sort key
(`connectors.base.instants.comparable`) orders, ties and fails exactly as the date-time
itself."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from connectors.base.instants import comparable
from resolvers.listing import Sort, page_of
from resolvers.pagination import PageArgs

OFFSETS = [timezone(timedelta(hours=h, minutes=m)) for h, m in ((1, 0), (2, 0), (-5, 0), (5, 30))]


@dataclass(frozen=True)
class Item:
    id: str
    at: object


def moments(count: int, seed: int) -> list[datetime]:
    """Date-times a few hours apart in assorted fixed offsets, with equal instants among them
    (the same instant in two offsets) and the extremes of datetime's range."""
    rng = random.Random(seed)
    base = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    found = []
    for _ in range(count):
        instant = base + timedelta(minutes=rng.randrange(0, 600, 15))
        found.append(instant.astimezone(rng.choice([*OFFSETS, UTC])))
    found += [
        datetime.min.replace(tzinfo=timezone(timedelta(hours=-1))),  # UTC is still in range
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-1))),  # UTC is not
    ]
    return found


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("descending", [True, False])
def test_pages_sort_as_their_date_times_compare(seed: int, descending: bool) -> None:
    items = [Item(f"{n:03}", at) for n, at in enumerate(moments(40, seed))]
    rng = random.Random(seed)
    rng.shuffle(items)
    expected = sorted(items, key=lambda item: (item.at, item.id), reverse=descending)
    page = page_of(items, Sort("at", descending), {"at": lambda i: i.at}, "items", PageArgs(100))
    assert [item for _, item in page.edges] == expected
    assert any(
        a.at == b.at and a.at.tzinfo is not b.at.tzinfo  # type: ignore[attr-defined]
        for a in items
        for b in items
    )


def test_a_naive_date_time_among_aware_ones_fails_as_before() -> None:
    items = [
        Item("1", datetime(2026, 3, 10, 8, tzinfo=OFFSETS[0])),
        Item("2", datetime(2026, 3, 9)),
    ]
    with pytest.raises(TypeError) as before:
        sorted(items, key=lambda item: (item.at, item.id))
    with pytest.raises(TypeError) as now:
        page_of(items, Sort("at"), {"at": lambda i: i.at}, "items", PageArgs())
    assert str(now.value) == str(before.value)


def test_only_fixed_offsets_are_converted() -> None:
    at = datetime(2026, 3, 10, 8, tzinfo=OFFSETS[0])
    assert comparable(at) == at
    assert comparable(at).tzinfo is UTC  # type: ignore[attr-defined]
    utc = datetime(2026, 3, 10, 8, tzinfo=UTC)
    assert comparable(utc) is utc
    for other in (datetime(2026, 3, 10, 8), at.date(), "2026-03-10", 7):
        assert comparable(other) is other


class Erp(tzinfo):
    """A time zone of another class than `timezone`, as isodate's of the ERP's date-times."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=2)

    def dst(self, dt: datetime | None) -> None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return "ERP"


def test_date_times_of_other_time_zones_sort_among_them_as_before() -> None:
    """Date-times in time zones of other classes are kept as they are, fixed offsets
    converted: lists of cases mix them (the ERP's and the CRM's)."""
    erp = [datetime(2026, 3, 10, h, 30, tzinfo=Erp()) for h in range(1, 9)]
    crm = moments(16, seed=7)[:-2]
    mixed = [*erp, *crm]
    random.Random(3).shuffle(mixed)
    assert any(type(at.tzinfo) is not timezone for at in mixed)
    expected = sorted(mixed, reverse=True)
    assert sorted(mixed, key=comparable, reverse=True) == expected  # type: ignore[arg-type]
