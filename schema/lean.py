"""Lean resolvers for the fields that only read an attribute of their object, perhaps behind a
permission: most of a large answer's fields (a dashboard has some 900, of which 170 are
prices behind `prices:read`).

Strawberry resolves such a field through its generic wrapper: an `Info`, the field's
arguments converted, its extensions chained. Here the same field gets a plain function that
checks the same requirements (`auth.permissions.check`, raising the same errors) and reads
the same attribute; the types, the SDL and every other field stay Strawberry's.
"""

from collections.abc import Sequence
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


class AttributeResolver:
    """Reads attribute `name` of its object after checking `requirements` against the
    caller. A class rather than a closure, so that the executor (`schema.execution`) can see
    what the field reads and resolve it without calling it."""

    __slots__ = ("name", "requirements")
    _is_default = True  # as Strawberry marks its own attribute resolvers

    def __init__(self, name: str, requirements: Sequence[str]) -> None:
        self.name = name
        self.requirements = tuple(requirements)

    def __call__(self, source: Any, info: Info, **_: Any) -> Any:
        if self.requirements:
            principal = info.context.principal
            for requirement in self.requirements:
                check(principal, requirement)
        return getattr(source, self.name)


def lean_resolvers(schema: strawberry.Schema) -> None:
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField):
                continue
            requirements = requirements_of(field)
            if requirements is not None:
                graphql_field.resolve = AttributeResolver(field.python_name, requirements)
