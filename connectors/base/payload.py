"""Typed reads from decoded JSON payloads, for the adapters' `mapping.py` modules.

Each accessor returns the field with the type the record needs or raises `PayloadError`
naming the field; `mapper(system)` turns that into `UpstreamBadResponse` at a mapping
module's public functions, so a missing field or a wrong type never surfaces as a
`KeyError` or a record holding the wrong type.
"""

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from connectors.base.errors import UpstreamBadResponse
from connectors.base.records import System

Payload = Mapping[str, object]
P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class PayloadError(ValueError):
    """A payload field is missing or has an unexpected type or value."""


def mapper(system: System) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a mapping function so payload errors leave it as `UpstreamBadResponse`."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def mapped(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except PayloadError as error:
                raise UpstreamBadResponse(system, f"{function.__name__}: {error}") from error

        return mapped

    return decorate


def as_object(value: object, what: str = "payload") -> Payload:
    if not isinstance(value, Mapping) or not _string_keys(value):
        raise PayloadError(f"{what} is not an object")
    return value


def _string_keys(value: Mapping[object, object]) -> bool:
    # the types of the keys collected in C first: decoded JSON has only `str` keys
    return _STR.issuperset(map(type, value)) or all(isinstance(key, str) for key in value)


_STR = frozenset({str})


def as_objects(value: object, what: str = "payload") -> list[Payload]:
    if not isinstance(value, list):
        raise PayloadError(f"{what} is not a list")
    return [as_object(item, f"{what}[{index}]") for index, item in enumerate(value)]


def _typed(key: str, value: object, kind: type[T]) -> T:
    # bool is an int subclass, but never a valid integer field
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PayloadError(f"'{key}' is {type(value).__name__}, expected {kind.__name__}")
    return value


def _required(payload: Payload, key: str, kind: type[T]) -> T:
    if key not in payload:
        raise PayloadError(f"'{key}' is missing")
    return _typed(key, payload[key], kind)


def _optional(payload: Payload, key: str, kind: type[T]) -> T | None:
    value = payload.get(key)
    return None if value is None else _typed(key, value, kind)


# `text` and `opt_text` read most fields of every record (a page of 40 tickets: ~800 calls), so
# they answer a plain `str` at once and leave everything else to the general checks above.


def text(payload: Payload, key: str) -> str:
    value = payload.get(key)
    return value if type(value) is str else _required(payload, key, str)


def opt_text(payload: Payload, key: str) -> str | None:
    """A nullable string; an empty string counts as absent."""
    value = payload.get(key)
    if type(value) is str:
        return value or None
    return _optional(payload, key, str) or None


def integer(payload: Payload, key: str) -> int:
    return _required(payload, key, int)


def boolean(payload: Payload, key: str) -> bool:
    return _required(payload, key, bool)


def child(payload: Payload, key: str) -> Payload:
    return as_object(_required(payload, key, object), f"'{key}'")


def opt_child(payload: Payload, key: str) -> Payload | None:
    value = payload.get(key)
    return None if value is None else as_object(value, f"'{key}'")


def children(payload: Payload, key: str) -> list[Payload]:
    return as_objects(_required(payload, key, object), f"'{key}'")


def texts(payload: Payload, key: str) -> tuple[str, ...]:
    values = _required(payload, key, list)
    if not all(isinstance(value, str) for value in values):
        raise PayloadError(f"'{key}' is not a list of strings")
    return tuple(values)


def _moment(key: str, raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise PayloadError(f"'{key}' is not an ISO 8601 date-time: {raw!r}") from None
    if moment.tzinfo is None:
        raise PayloadError(f"'{key}' has no UTC offset: {raw!r}")
    return moment


def timestamp(payload: Payload, key: str) -> datetime:
    """An ISO 8601 date-time with its offset."""
    return _moment(key, text(payload, key))


def opt_timestamp(payload: Payload, key: str) -> datetime | None:
    raw = opt_text(payload, key)
    return None if raw is None else _moment(key, raw)


def unix_time(payload: Payload, key: str) -> datetime:
    """Seconds since the epoch, as Stripe sends them."""
    return datetime.fromtimestamp(integer(payload, key), UTC)


def choice(payload: Payload, key: str, table: Mapping[str, T]) -> T:
    """The table's entry for the field's value; an unknown value is a bad response."""
    value = text(payload, key)
    if value not in table:
        raise PayloadError(f"'{key}' has unknown value {value!r}")
    return table[value]
