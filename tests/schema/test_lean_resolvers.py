"""The lean resolvers (`schema.lean`) keep every guard: each field that reads an attribute
behind `requires` refuses a caller without the permission exactly as Strawberry's permission
extension would, and reads the attribute for one with it."""

from types import SimpleNamespace
from typing import Any

import pytest
from graphql import GraphQLObjectType
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from auth.permissions import Forbidden
from schema.lean import requirements_of
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
