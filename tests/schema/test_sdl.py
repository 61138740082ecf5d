"""The checked-in SDL (`schema.graphql`) is the public contract: it must match the code, and
every type and field carries a description."""

from pathlib import Path

from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from schema.root import build_schema

SDL = Path(__file__).parents[2] / "schema.graphql"


def test_checked_in_sdl_matches_the_code() -> None:
    exported = build_schema().as_str() + "\n"
    assert SDL.read_text() == exported, "run `portalgraph schema export > schema.graphql`"


def test_every_type_and_field_is_described() -> None:
    schema = build_schema()._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Boolean", "Int", "Float", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            missing += [
                f"{name}.{field}"
                for field, definition in graphql_type.fields.items()
                if not definition.description
            ]
    assert missing == []
