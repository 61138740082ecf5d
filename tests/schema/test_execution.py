"""The gateway's executor (`schema.execution`) answers exactly as graphql-core's standard one:
the same documents, executed with each, give the same data (key order included) and the same
errors (messages, paths, locations, extensions, order), for lean fields with and without
permissions, resolvers, enums, custom scalars, lists, nulls on non-null fields, values a
scalar refuses, abstract types, aliases, fragments, @include/@skip and __typename."""

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from graphql import (
    GraphQLBoolean,
    GraphQLError,
    GraphQLID,
    GraphQLInt,
    GraphQLResolveInfo,
    GraphQLString,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType

from auth.permissions import requires
from auth.policy import Permission
from schema.common import SCALARS, CurrencyCode
from schema.execution import GatewayExecutor, executor_for, shape_of
from schema.lean import lean_resolvers
from schema.root import build_schema


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Price:
    amount: Decimal
    currency: CurrencyCode


@strawberry.type
class Part(Named):
    name: str
    colour: Colour
    made: datetime
    weight: int
    note: str
    tags: list[str]
    maybe_tags: list[str | None] | None
    price: Price | None = strawberry.field(extensions=requires(Permission.PRICES_READ))
    cost: Decimal = strawberry.field(extensions=requires(Permission.PRICES_READ))
    parts: list["Part"]

    @strawberry.field
    async def sibling(self) -> "Part | None":
        return PARTS[1] if self is PARTS[0] else None

    @strawberry.field
    async def siblings(self) -> list["Part"] | None:
        return [PARTS[1], BROKEN] if self is PARTS[0] else list(PARTS)

    @strawberry.field(extensions=requires(Permission.PRICES_READ))  # type: ignore[untyped-decorator]
    async def priced_sibling(self, info: strawberry.Info) -> "Part | None":
        return PARTS[1] if info.path.prev is not None else None

    @strawberry.field(extensions=requires(Permission.PRICES_READ))  # type: ignore[untyped-decorator]
    async def strict_cost(self) -> Decimal:
        return self.cost

    @strawberry.field
    async def where(self, info: strawberry.Info) -> str:
        return f"{info.field_name} at {info.path.as_list()} as {info.python_name}"

    @strawberry.field
    def fails(self) -> str | None:
        raise ValueError(f"{self.name} fails")

    @strawberry.field(extensions=requires(Permission.PRICES_READ))  # type: ignore[untyped-decorator]
    def doubled_cost(self) -> Decimal:
        return self.cost * 2

    @strawberry.field
    def heavier(self) -> int:
        return self.weight + 1

    @strawberry.field
    async def label(self, prefix: str = "#") -> str:
        return f"{prefix}{self.name}"

    @strawberry.field
    async def timed(self) -> bool:
        """As the guard and the cache's waits: `asyncio.timeout` needs a current task."""
        async with asyncio.timeout(60):
            await asyncio.sleep(0)  # a checkpoint, as an upstream call's
        return asyncio.current_task() is not None


@strawberry.type
class Tool(Named):
    name: str
    uses: int


def part(name: str, **values: Any) -> Part:
    defaults: dict[str, Any] = {
        "colour": Colour.RED,
        "made": datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        "weight": 3,
        "note": "fine",
        "tags": ["a", "b"],
        "maybe_tags": ["x", None],
        "price": Price(amount=Decimal("12.50"), currency=CurrencyCode("CHF")),
        "cost": Decimal("7.05"),
        "parts": [],
    }
    return Part(name=name, **{**defaults, **values})


PARTS = [
    part("gear", parts=[part("tooth"), part("axle", colour=Colour.BLUE)]),
    part("belt", maybe_tags=None, tags=[]),
]
BROKEN = part("broken", note=None, weight="heavy", tags=["ok", None], colour="GREEN")


@strawberry.type
class Query:
    @strawberry.field
    def parts(self) -> list[Part] | None:
        return PARTS

    @strawberry.field
    async def part(self, name: str) -> Part | None:
        return next((p for p in [*PARTS, BROKEN] if p.name == name), None)

    @strawberry.field
    def broken(self) -> Part | None:
        return BROKEN

    @strawberry.field
    def strict_broken(self) -> list[Part]:
        return [PARTS[0], BROKEN]

    @strawberry.field
    def named(self) -> list[Named]:
        return [PARTS[1], Tool(name="spanner", uses=4)]


def build() -> strawberry.Schema:
    schema = strawberry.Schema(query=Query, types=[Tool], config=_config())
    lean_resolvers(schema)
    return schema


def _config() -> StrawberryConfig:
    return StrawberryConfig(scalar_map=SCALARS)


SCHEMA = build()
FAST = executor_for(SCHEMA)
PLAN = FAST.plans["Part"]["colour"]

FIELDS = """
  name colour made weight note tags maybeTags cost doubledCost
  price { amount currency }
  parts { name colour }
"""
DOCUMENTS = {
    "lean fields and prices": f"{{ parts {{ {FIELDS} }} }}",
    "nulls and refused values": f"{{ broken {{ {FIELDS} }} }}",
    "a non-null list nulled by its item": "{ strictBroken { name note } }",
    "a null item in a list of non-null items": "{ broken { name tags maybeTags } }",
    "plain methods": "{ parts { heavier doubledCost parts { heavier } } broken { heavier } }",
    "resolvers, async lists, errors": """
        { parts { name fails sibling { name sibling { name } } siblings { name weight } } }
    """,
    "relations behind permissions, with their info": """
        { parts { pricedSibling { name where } where } broken { strictCost } }
    """,
    "relations in tasks": '{ parts { timed siblings { timed } } part(name: "gear") { timed } }',
    "arguments and aliases": """
        { first: part(name: "gear") { label(prefix: "no. ") other: label n: name }
          missing: part(name: "none") { name } }
    """,
    "fragments, abstract types, __typename": """
        query { __typename named { __typename name ... on Tool { uses } ...P } }
        fragment P on Part { colour tags price { ...M } }
        fragment M on Price { amount currency __typename }
    """,
    "include and skip": """
        query ($yes: Boolean!, $no: Boolean!) {
          parts { name @include(if: $yes) colour @skip(if: $yes) tags @include(if: $no)
                  price @skip(if: $no) { amount } }
        }
    """,
    "one field merged from two selections": """
        { parts { price { amount } price { currency } ... on Part { name price { amount } } } }
    """,
    "introspection beside data": '{ __type(name: "Part") { name } parts { name } }',
}
PRINCIPALS = {
    "with prices": SimpleNamespace(
        roles=frozenset(),
        scopes=frozenset({Permission.PRICES_READ}),
        is_service_account=True,
        prices_visible=None,
        has_mfa=True,
    ),
    "without prices": SimpleNamespace(
        roles=frozenset(),
        scopes=frozenset(),
        is_service_account=False,
        prices_visible=False,
        has_mfa=True,
    ),
    "anonymous": None,
}


@pytest.fixture
def executor_class() -> Iterator[None]:
    yield
    SCHEMA.execution_context_class = StrawberryGraphQLCoreExecutionContext


async def answer(executor: type, document: str, principal: object) -> str:
    SCHEMA.execution_context_class = executor
    result = await SCHEMA.execute(
        document,
        variable_values={"yes": True, "no": False},
        context_value=SimpleNamespace(principal=principal),
    )
    errors = [error.formatted for error in result.errors or ()]
    return json.dumps({"data": result.data, "errors": errors}, default=str)


@pytest.mark.usefixtures("executor_class")
@pytest.mark.parametrize("principal", PRINCIPALS, ids=list(PRINCIPALS))
@pytest.mark.parametrize("document", DOCUMENTS, ids=list(DOCUMENTS))
async def test_the_same_answer_as_the_standard_executor(document: str, principal: str) -> None:
    standard = await answer(
        StrawberryGraphQLCoreExecutionContext, DOCUMENTS[document], PRINCIPALS[principal]
    )
    fast = await answer(FAST, DOCUMENTS[document], PRINCIPALS[principal])
    assert fast == standard
    assert '"data": null' not in standard or document == "a non-null list nulled by its item"


@pytest.mark.usefixtures("executor_class")
async def test_the_documents_cover_the_errors_that_matter() -> None:
    """The cases above are not vacuous: refusals, nulls on non-null fields, refused values
    and resolver errors all occur, with their paths."""
    answers = [
        json.loads(await answer(FAST, document, PRINCIPALS["without prices"]))
        for document in DOCUMENTS.values()
    ]
    messages = " ".join(e["message"] for a in answers for e in a["errors"])
    assert "Your roles do not permit this (prices:read)." in messages
    assert "Cannot return null for non-nullable field Part.note." in messages
    assert "Int cannot represent non-integer value: 'heavy'" in messages
    assert "Enum 'Colour' cannot represent value: 'GREEN'" in messages
    assert "gear fails" in messages
    in_tasks = answers[list(DOCUMENTS).index("relations in tasks")]["data"]
    timed = [part["timed"] for part in in_tasks["parts"]]
    assert timed == [True, True]  # relations ran in a task
    paths = [e["path"] for a in answers for e in a["errors"]]
    assert ["parts", 0, "cost"] in paths
    assert ["parts", 0, "doubledCost"] in paths
    assert ["broken", "heavier"] in paths
    assert ["broken", "tags", 1] in paths
    assert ["parts", 0, "pricedSibling"] in paths
    assert ["broken", "strictCost"] in paths


class Counting(GatewayExecutor):
    infos = 0

    def build_resolve_info(self, *args: Any) -> GraphQLResolveInfo[Any]:
        Counting.infos += 1
        return super().build_resolve_info(*args)


@pytest.mark.usefixtures("executor_class")
async def test_lean_fields_need_no_resolve_info() -> None:
    Counting.plans = FAST.plans
    Counting.infos = 0
    await answer(Counting, DOCUMENTS["lean fields and prices"], PRINCIPALS["with prices"])
    assert Counting.infos == 0  # the root field `parts` too: a plain method
    await answer(Counting, DOCUMENTS["resolvers, async lists, errors"], PRINCIPALS["with prices"])
    assert Counting.infos > 0  # relations have theirs


@pytest.mark.usefixtures("executor_class")
async def test_resolver_middleware_runs_the_standard_way() -> None:
    """With an extension's `resolve` hook every field goes through it, as without the fast
    path."""
    seen: list[str] = []

    class Watch(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    watched = strawberry.Schema(query=Query, types=[Tool], config=_config(), extensions=[Watch])
    lean_resolvers(watched)
    watched.execution_context_class = executor_for(watched)
    result = await watched.execute(
        "{ parts { name } }", context_value=SimpleNamespace(principal=None)
    )
    assert result.data == {"parts": [{"name": "gear"}, {"name": "belt"}]}
    assert seen == ["parts", "name", "name"]


def outcome(function: Any, *args: Any) -> tuple[str, object]:
    try:
        return "value", function(*args)
    except GraphQLError as error:
        return "error", error.message


def test_leaves_complete_as_their_types_coerce_them() -> None:
    """The shortcuts of leaf completion (a str as it is for String and ID, a bool for
    Boolean, an enum member by its name) answer what the type's own coercion answers, for
    every enum member of the gateway's schema; anything else takes the type's coercion."""
    schema = build_schema()
    executor = object.__new__(GatewayExecutor)
    enums = [t for t in schema._schema.type_map.values() if type(t) is CustomGraphQLEnumType]
    assert len(enums) > 20
    for enum_type in enums:
        shape = shape_of(enum_type)
        assert shape.enum_names is not None
        members: list[Enum] = list(enum_type.wrapped_cls)
        for member in members:
            assert executor.complete_leaf(shape, PLAN, member) == enum_type.serialize(member)
        with pytest.raises(GraphQLError):
            executor.complete_leaf(shape, PLAN, "not a member")
    for scalar, exact in ((GraphQLString, str), (GraphQLID, str), (GraphQLBoolean, bool)):
        shape = shape_of(scalar)
        assert shape.exact is exact
        for value in ("text", Named(name="x"), 12, True, False, 0.0):
            assert outcome(executor.complete_leaf, shape, PLAN, value) == outcome(
                scalar.serialize, value
            )
    assert shape_of(GraphQLInt).exact is None
