"""The `@cached` operation directive (Hasura's name): how long the gateway may answer this
query again from its response cache (`portalgraph.cached_responses`).

Declared on graphql-core's schema directly rather than as a strawberry directive: strawberry
would wrap every field's resolver to look for directives, a cost per field for a directive
that is read once per operation.
"""

from graphql import (
    DirectiveLocation,
    GraphQLArgument,
    GraphQLDirective,
    GraphQLInt,
    GraphQLSchema,
)

CACHED = GraphQLDirective(
    name="cached",
    locations=[DirectiveLocation.QUERY],
    args={
        "ttl": GraphQLArgument(
            GraphQLInt,
            description=(
                "Seconds the answer may be served again to the same caller (at most the "
                "gateway's maximum; 0: never). Without it, the gateway's default."
            ),
        )
    },
    description=(
        "This query's answer may be served again from the gateway's response cache, to the "
        "same caller only, until an entity it read changes, the caller mutates, or `ttl` ends."
    ),
)


def declare_cached(schema: GraphQLSchema) -> None:
    schema.directives = (*schema.directives, CACHED)
