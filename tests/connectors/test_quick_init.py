"""The hot records' cheaper `__init__` (`connectors.base.quick_init`) against the frozen
dataclass's own: the same instances (fields, defaults, equality, hash, repr) for the same
arguments, the same kind of error for wrong ones, still immutable, and pickled and stored by
the entity cache's codec (pydantic) alike; classes it cannot do exactly are refused."""

import dataclasses
import pickle
from typing import Any

import pytest
from pydantic import TypeAdapter

from connectors.base.quick_init import quick_init
from connectors.base.records import CaseRef, Message, SlaClock, SourceStatus, Ticket
from connectors.crm import mapping as crm
from tests.connectors.test_rest_mapping import recorded

HOT: list[type[Any]] = [SourceStatus, SlaClock, CaseRef, Ticket, Message]


def plain_twin(cls: type[Any]) -> type[Any]:
    """The same frozen dataclass with the dataclass's own `__init__`."""
    fields = dataclasses.fields(cls)
    namespace: dict[str, Any] = {"__annotations__": {field.name: field.type for field in fields}}
    namespace.update({f.name: f.default for f in fields if f.default is not dataclasses.MISSING})
    twin: type[Any] = dataclasses.dataclass(frozen=True)(type(cls.__name__, (), namespace))
    return twin


def examples() -> list[Any]:
    """Records as the CRM's mapping builds them."""
    tickets, _ = crm.ticket_page(recorded("crm", "ticket_page"))
    messages = crm.public_messages(recorded("crm", "comments"))
    ticket, message = tickets[0], messages[0]
    return [ticket.source_status, ticket.sla, message.subject, ticket, message]


def outcome(cls: type[Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
    """The instance's fields, or TypeError."""
    try:
        return vars(cls(*args, **kwargs))
    except TypeError:
        return TypeError


@pytest.mark.parametrize("example", examples(), ids=[cls.__name__ for cls in HOT])
def test_the_same_arguments_make_the_same_record(example: Any) -> None:
    cls = type(example)
    twin = plain_twin(cls)
    values = [getattr(example, field.name) for field in dataclasses.fields(cls)]
    named = dict(zip([field.name for field in dataclasses.fields(cls)], values, strict=True))
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (tuple(values), {}),
        ((), named),
        (tuple(values[:1]), dict(list(named.items())[1:])),
        (tuple(values[:-1]), {}),  # the last one's default, if it has one
        (tuple(values[:-2]), {}),
        ((*values, "too many"), {}),
        ((), {**named, "colour": "red"}),
        (tuple(values), {next(iter(named)): "twice"}),
    ]
    for args, kwargs in calls:
        assert outcome(cls, args, kwargs) == outcome(twin, args, kwargs)
    made = cls(*values)
    assert made == example
    assert hash(made) == hash(example)
    assert repr(made) == repr(twin(*values))
    assert pickle.loads(pickle.dumps(made)) == made  # noqa: S301 - our own bytes
    codec = TypeAdapter(cls)
    assert codec.validate_json(codec.dump_json(made)) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.__setattr__(dataclasses.fields(cls)[0].name, "changed")


def test_classes_it_cannot_do_exactly_are_refused() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Slotted:
        a: str

    @dataclasses.dataclass(frozen=True)
    class AfterInit:
        a: str

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True)
    class Factory:
        a: list[str] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class KeywordOnly:
        a: str = dataclasses.field(kw_only=True)

    @dataclasses.dataclass(frozen=True)
    class Clashing:
        _fields: str

    for cls in (Slotted, AfterInit, Factory, KeywordOnly, Clashing):
        with pytest.raises(TypeError, match="not a plain frozen dataclass"):
            quick_init(cls)
