"""Lean resolvers for the fields that only read an attribute of their object, perhaps behind a
permission: most of a large answer's fields (a dashboard has some 900, of which 170 are
prices behind `prices:read`).

Strawberry resolves such a field through its generic wrapper: an `Info`, the field's
arguments converted, its extensions chained. Here the same field gets a plain function that
checks the same requirements (`auth.permissions.check`, raising the same errors) and reads
the same attribute; the types, the SDL and every other field stay Strawberry's.
"""

from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from auth.permissions import Requires, check

Resolve = Callable[..., Any]


def requirements_of(field: StrawberryField) -> list[str] | None:
    """The requirements of a field that only reads an attribute (`[]`: none); None for any
    other field (a resolver, an extension other than `requires`)."""
    if field.base_resolver is not None:
        return None
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


def attribute(name: str, requirements: Sequence[str]) -> Resolve:
    def read(source: Any, _: Info, **__: Any) -> Any:
        return getattr(source, name)

    def guarded(source: Any, info: Info, **__: Any) -> Any:
        principal = info.context.principal
        for requirement in requirements:
            check(principal, requirement)
        return getattr(source, name)

    resolve: Resolve = guarded if requirements else read
    setattr(resolve, "_is_default", True)  # noqa: B010 - as Strawberry marks its own
    return resolve


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
                graphql_field.resolve = attribute(field.python_name, requirements)
