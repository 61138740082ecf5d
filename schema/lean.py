"""Lean resolvers for the fields that only read an attribute of their object, perhaps behind a
permission: most of a large answer's fields (a dashboard has some 900, of which 170 are
prices behind `prices:read`), and for those computed by a plain method of their object (a
synchronous resolver that takes only `self`, such as `SlaClock.status`).

Strawberry resolves such a field through its generic wrapper: an `Info`, the field's
arguments converted, its extensions chained. Here the same field gets a plain function that
checks the same requirements (`auth.permissions.check`, raising the same errors) and reads
the same attribute or calls the same method; the types, the SDL and every other field stay
Strawberry's.
"""

import inspect
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from auth.permissions import Requires, check


def requirements_of(field: StrawberryField) -> list[str] | None:
    """The requirements of a field that only reads an attribute (`[]`: none); None for any
    other field (a resolver, an extension other than `requires`)."""
    if field.base_resolver is not None:
        return None
    return guard_of(field)


def method_of(field: StrawberryField) -> Callable[[Any], Any] | None:
    """The function of a field whose resolver is a plain synchronous method taking only
    `self` (no info, arguments, root or parent), which Strawberry calls with the object and
    nothing else; None for any other field."""
    resolver = field.base_resolver
    if (
        resolver is None
        or field.is_async
        or field.is_subscription
        or field.arguments
        or resolver.self_parameter is None
        or resolver.info_parameter is not None
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
        or len(resolver.signature.parameters) != 1
    ):
        return None
    function = resolver.wrapped_func
    if (
        not inspect.isfunction(function)
        or inspect.isgeneratorfunction(function)
        or inspect.isasyncgenfunction(function)
        or inspect.iscoroutinefunction(function)
    ):
        return None
    return function


def guard_of(field: StrawberryField) -> list[str] | None:
    """The requirements of a field whose only extensions are `requires` (`[]`: none); None
    for a field with any other extension."""
    requirements = []
    for extension in field.extensions:
        if not isinstance(extension, PermissionExtension) or extension.fail_silently:
            return None
        for permission in extension.permissions:
            if not isinstance(permission, Requires):
                return None
            requirements.append(permission.requirement)
    return requirements


Info = GraphQLResolveInfo[Any]


class LeanResolver:
    """Reads a value of its object (`read(source)`) after checking `requirements` against the
    caller. A class rather than a closure, so that the executor (`schema.execution`) can see
    what the field reads and resolve it without calling it."""

    __slots__ = ("read", "requirements")

    def __init__(self, read: Callable[[Any], Any], requirements: Sequence[str]) -> None:
        self.read = read
        self.requirements = tuple(requirements)

    def __call__(self, source: Any, info: Info, **_: Any) -> Any:
        if self.requirements:
            principal = info.context.principal
            for requirement in self.requirements:
                check(principal, requirement)
        return self.read(source)


class AttributeResolver(LeanResolver):
    """Reads attribute `name` of its object."""

    __slots__ = ()
    _is_default = True  # as Strawberry marks its own attribute resolvers

    def __init__(self, name: str, requirements: Sequence[str]) -> None:
        super().__init__(attrgetter(name), requirements)


class MethodResolver(LeanResolver):
    """Calls a plain method of its object (`method_of`)."""

    __slots__ = ()
    _is_default = False  # as Strawberry marks resolvers of their own


def lean_resolvers(schema: strawberry.Schema) -> None:
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField):
                continue
            requirements = guard_of(field)
            if requirements is None:
                continue
            if field.base_resolver is None:
                graphql_field.resolve = AttributeResolver(field.python_name, requirements)
            elif (
                (method := method_of(field)) is not None
                and getattr(graphql_field.resolve, "__name__", None) == "_resolver"
                and not schema.schema_converter._get_field_exception_handlers(field)
            ):
                graphql_field.resolve = MethodResolver(method, requirements)
