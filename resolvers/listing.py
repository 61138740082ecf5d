"""Filtering, sorting and paging of one customer's records, shared by every list field."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from connectors.base.instants import comparable
from resolvers.pagination import PageArgs, Slice, paginate


class Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=Identified)


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool = True


def matches_text(search: str | None, *values: str | None) -> bool:
    if not search:
        return True
    needle = search.casefold()
    return any(value is not None and needle in value.casefold() for value in values)


def within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def page_of(
    items: Iterable[T],
    sort: Sort,
    sort_keys: Mapping[str, Callable[[T], Any]],
    kind: str,
    page: PageArgs,
) -> Slice[T]:
    """Sort by the chosen field (the ID breaks ties, so the order is total) and slice a page."""
    key = sort_keys[sort.field]
    ordered: Sequence[T] = sorted(
        items, key=lambda item: (comparable(key(item)), item.id), reverse=sort.descending
    )
    return paginate(ordered, lambda item: item.id, kind, page)
