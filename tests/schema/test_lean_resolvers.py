"""The lean resolvers (`schema.lean`) keep every guard: each field that reads an attribute
or calls a plain method behind `requires` refuses a caller without the permission exactly as
Strawberry's permission extension would (without calling the method), and reads the
attribute or calls the method for one with it."""

from types import SimpleNamespace
from typing import Any

import pytest
from graphql import GraphQLObjectType
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from auth.permissions import Forbidden
from connectors.base import records as r
from schema.lean import MethodResolver, requirements_of
from schema.root import build_schema


def guarded_fields() -> list[tuple[str, Any, StrawberryField]]:
    schema = build_schema()
    found = []
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name, graphql_field in graphql_type.fields.items():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (
                isinstance(field, StrawberryField)
                and field.base_resolver is None
                and any(isinstance(e, PermissionExtension) for e in field.extensions)
            ):
                found.append((f"{graphql_type.name}.{name}", graphql_field.resolve, field))
    return found


GUARDED = guarded_fields()


def info(principal: object) -> Any:
    return SimpleNamespace(context=SimpleNamespace(principal=principal))


def test_prices_are_among_the_lean_guarded_fields() -> None:
    names = {name for name, _, _ in GUARDED}
    assert {"Order.total", "LineItem.unitPrice", "ServiceOffering.price"} <= names


@pytest.mark.parametrize(("name", "resolve", "field"), GUARDED, ids=[g[0] for g in GUARDED])
def test_a_lean_field_refuses_without_its_permission(
    name: str, resolve: Any, field: StrawberryField
) -> None:
    requirements = requirements_of(field)
    assert requirements, f"{name} lost its guard"
    source = SimpleNamespace(**{field.python_name: "the value"})
    with pytest.raises(Forbidden) as refused:
        resolve(source, info(None))
    assert refused.value.extensions == {"code": "FORBIDDEN", "permission": requirements[0]}
    allowed = SimpleNamespace(
        roles=frozenset(),
        scopes=frozenset(requirements),
        is_service_account=True,
        prices_visible=None,
        has_mfa=True,
    )
    assert resolve(source, info(allowed)) == "the value"


def guarded_methods() -> list[tuple[str, MethodResolver]]:
    schema = build_schema()
    return [
        (f"{graphql_type.name}.{name}", graphql_field.resolve)
        for graphql_type in schema._schema.type_map.values()
        if isinstance(graphql_type, GraphQLObjectType)
        for name, graphql_field in graphql_type.fields.items()
        if isinstance(graphql_field.resolve, MethodResolver) and graphql_field.resolve.requirements
    ]


GUARDED_METHODS = guarded_methods()


def test_plain_methods_are_lean_with_their_guards() -> None:
    names = {name for name, _ in GUARDED_METHODS}
    assert {"Ticket.thread", "Order.thread"} <= names


@pytest.mark.parametrize(("name", "resolve"), GUARDED_METHODS, ids=[g[0] for g in GUARDED_METHODS])
def test_a_lean_method_refuses_without_its_permission(name: str, resolve: MethodResolver) -> None:
    called: list[object] = []
    source = SimpleNamespace(case_ref=r.CaseRef("TICKET", "1"))
    with pytest.raises(Forbidden) as refused:
        MethodResolver(called.append, resolve.requirements)(source, info(None))
    assert refused.value.extensions == {"code": "FORBIDDEN", "permission": resolve.requirements[0]}
    assert not called
    with pytest.raises(Forbidden):
        resolve(source, info(None))
    allowed = SimpleNamespace(
        roles=frozenset(),
        scopes=frozenset(resolve.requirements),
        is_service_account=True,
        prices_visible=None,
        has_mfa=True,
    )
    assert resolve(source, info(allowed)) is not None
