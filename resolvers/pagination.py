"""Relay pagination over a sorted, filtered list: stable, opaque cursors naming an item.

A cursor is `<kind>:<key>` base64url-encoded, where key is the item's own ID in the list,
so it stays valid while the item stays in the list, whatever is added before it. A cursor
of another list, another tenant's or a made-up one is refused the same way.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from resolvers.errors import BadUserInput

T = TypeVar("T")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True)
class Slice(Generic[T]):
    edges: list[tuple[str, T]]
    has_next_page: bool
    has_previous_page: bool
    total_count: int


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def _decode_cursor(kind: str, cursor: str, argument: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    prefix = f"{kind}:"
    if not raw.startswith(prefix):
        raise BadUserInput(f"`{argument}` is not a cursor of this list.", argument)
    return raw[len(prefix) :]


def _check_size(value: int | None, argument: str) -> None:
    if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
        raise BadUserInput(f"`{argument}` must be between 0 and {MAX_PAGE_SIZE}.", argument)


def _position(keys: list[str], kind: str, cursor: str, argument: str) -> int:
    key = _decode_cursor(kind, cursor, argument)
    try:
        return keys.index(key)
    except ValueError:
        raise BadUserInput(f"`{argument}` is not a cursor of this list.", argument) from None


def paginate(items: Sequence[T], key: Callable[[T], str], kind: str, args: PageArgs) -> Slice[T]:
    _check_size(args.first, "first")
    _check_size(args.last, "last")
    keys = [key(item) for item in items]
    start, end = 0, len(items)
    if args.after is not None:
        start = _position(keys, kind, args.after, "after") + 1
    if args.before is not None:
        end = _position(keys, kind, args.before, "before")
    end = max(start, end)
    if args.first is None and args.last is None:
        end = min(end, start + DEFAULT_PAGE_SIZE)
    if args.first is not None:
        end = min(end, start + args.first)
    if args.last is not None:
        start = max(start, end - args.last)
    return Slice(
        edges=[(encode_cursor(kind, keys[i]), items[i]) for i in range(start, end)],
        has_next_page=end < len(items),
        has_previous_page=start > 0,
        total_count=len(items),
    )
