"""A cheaper `__init__` for the hot frozen dataclasses of `connectors.base.records` (tickets,
messages and their parts: some 40 per query).

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__`, a call
per field (a ticket's 18 take about 2 µs); this one stores the same values straight into the
instance's `__dict__`, which is all that call does for a dataclass without slots, at half the
cost. Everything else stays the dataclass's: the same parameters and defaults (the signature
is the generated one's), fields, equality, hashing, repr, pickling, immutability after
construction, and pydantic's validation (which builds instances without calling `__init__`).
Classes it cannot do this for exactly (slots, `__post_init__`, default factories, init-less or
keyword-only fields) are refused when the module is imported."""

import dataclasses
import inspect
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give the frozen dataclass `cls` an `__init__` that writes its `__dict__` directly."""
    params = dataclasses.fields(cls)  # type: ignore[arg-type]
    missing = dataclasses.MISSING
    if (
        "__slots__" in cls.__dict__
        or {field.name for field in params} & {"self", "_fields"}
        or hasattr(cls, "__post_init__")
        or any(
            field.default_factory is not missing or not field.init or field.kw_only
            for field in params
        )
    ):
        raise TypeError(f"{cls.__name__}: not a plain frozen dataclass")
    defaults: dict[str, Any] = {
        f"_default_{field.name}": field.default for field in params if field.default is not missing
    }
    arguments = ", ".join(
        field.name if field.default is missing else f"{field.name}=_default_{field.name}"
        for field in params
    )
    stores = "".join(f"\n    _fields[{field.name!r}] = {field.name}" for field in params)
    source = f"def __init__(self, {arguments}) -> None:\n    _fields = self.__dict__{stores}\n"
    namespace: dict[str, Any] = {}
    exec(source, defaults, namespace)  # noqa: S102 - the source is built from the fields above
    init = namespace["__init__"]
    generated = cls.__init__
    init.__qualname__ = generated.__qualname__
    init.__signature__ = inspect.signature(generated)
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
