"""Every role × every query field and type, end to end with real tokens: a field the role
may not read is null with FORBIDDEN on its path (MFA_REQUIRED when only the second factor is
missing), everything else resolves; objects of a type the role may not read never appear, in
lists they are neither shown nor counted, and by ID they are NOT_FOUND. Every role × every
mutation: a role without the mutation's permission gets FORBIDDEN (MFA_REQUIRED), the others
reach its resolver (inputs naming unknown objects, so nothing is written). Expectations come
from the policy module and the `@requires` declarations of the SDL."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)

from auth.policy import Permission, grants, needs_second_factor, permissions_of
from sandbox.seed import TRAINING
from sandbox.server import Sandbox
from schema.common import global_id
from tests.access_fixtures import (
    Caller,
    all_callers,
    catalog_ids,
    close_all,
    errors_by_path,
    principal_of,
    reference_ids,
    requirements,
    sdl_schema,
)
from tests.stack import Tokens, running_gateway

OBJECT_LEVELS = 5
LIST_ARGS = "(first: 100)"
ROOT_LISTS = ("viewer", "organization", "accountBalance", "cases", "quotes", "orders", "invoices",
              "tickets", "documents", "insights", "consents", "consentHistory", "thread",
              "serviceOfferings", "availableSlots", "bookings", "privacyRequests")  # fmt: skip
ROOT_ARGS = {
    "insights": '(from: "2026-03-01", to: "2026-03-10")',
    "thread": f'(subjectId: "{global_id("Ticket", "crm", "TCK-1001")}")',  # a seeded ticket
    "availableSlots": f'(offeringId: "{global_id("ServiceOffering", "erp", TRAINING)}", '
    'from: "2026-03-10", to: "2026-03-31")',
}
"""Arguments a root field requires beyond paging."""
EVERYONE = {"flags": {"everyone": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                   "defaultVariant": "on"}}}  # fmt: skip
"""A flag on for every caller, so that `viewer.features` lists one."""
BY_ID = {"Quote": "quote", "Order": "order", "Invoice": "invoice", "Ticket": "ticket",
         "Document": "document", "Booking": "booking"}  # fmt: skip
NODE_TYPES = ("Quote", "Order", "Invoice", "Ticket", "Delivery", "Payment", "Document", "Booking",
              "Slot", "ServiceOffering")  # fmt: skip


def selection(
    schema: GraphQLSchema,
    named: GraphQLNamedType,
    levels: int,
    seen: frozenset[str],
    prefix: str = "",
) -> str:
    """Every field without required arguments, `__typename` on every object, nested objects
    `levels` deep without revisiting a type on the way down; interfaces expand to every
    implementation, whose fields are aliased `<Type>__<field>` (the same field name may have
    another type in another implementation)."""
    parts = ["__typename"]
    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return "__typename"
    for name, field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        inner = get_named_type(field.type)
        key = f"{prefix}{name}: {name}" if prefix else name
        if is_leaf_type(inner):
            parts.append(key)
        elif levels > 0 and inner.name not in seen:
            args = LIST_ARGS if "first" in field.args else ""
            sub = selection(schema, inner, levels - 1, seen | {inner.name})
            parts.append(f"{key}{args} {{ {sub} }}")
    if isinstance(named, GraphQLInterfaceType):
        for implementation in schema.get_implementations(named).objects:
            sub = selection(
                schema, implementation, levels, seen | {implementation.name},
                f"{implementation.name}__",
            )  # fmt: skip
            parts.append(f"... on {implementation.name} {{ {sub} }}")
    return " ".join(parts)


def readable_types(schema: GraphQLSchema) -> set[str]:
    """The object types reachable from Query through fields and interfaces (not through `Node`,
    which subscription payloads such as SystemNotice implement too; nor mutation payloads)."""
    found: set[str] = set()
    pending: list[GraphQLNamedType] = [schema.query_type]  # type: ignore[list-item]
    while pending:
        named = pending.pop()
        if named.name in found or not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        if isinstance(named, GraphQLObjectType):
            found.add(named.name)
        elif named.name != "Node":
            pending.extend(schema.get_implementations(named).objects)
        pending.extend(get_named_type(field.type) for field in named.fields.values())
    return found


def field_name(key: str) -> str:
    """The field behind a response key (see `selection`'s aliases)."""
    return key.split("__", 1)[1] if "__" in key[1:] else key


def root_query(schema: GraphQLSchema, field: str) -> str:
    definition = schema.query_type.fields[field]  # type: ignore[union-attr]
    inner = get_named_type(definition.type)
    args = ROOT_ARGS.get(field, LIST_ARGS if "first" in definition.args else "")
    body = selection(schema, inner, OBJECT_LEVELS, frozenset({inner.name}))
    return f"{{ {field}{args} {{ {body} }} }}" if not is_leaf_type(inner) else f"{{ {field} }}"


def objects(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[dict[str, Any], tuple[Any, ...]]]:
    if isinstance(value, dict):
        yield value, path
        for key, inner in value.items():
            yield from objects(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from objects(inner, (*path, index))


def interface_fields_covered(schema: GraphQLSchema, covered: set[str]) -> set[str]:
    """The interface fields (`Case.thread`) whose every implementation's field was covered:
    answers name the concrete type, never the interface."""
    return {
        f"{name}.{field}"
        for name, named in schema.type_map.items()
        if isinstance(named, GraphQLInterfaceType)
        for field in named.fields
        if all(
            f"{implementation.name}.{field}" in covered
            for implementation in schema.get_implementations(named).objects
        )
    }


def mutation_fields(schema: GraphQLSchema) -> list[str]:
    return list(schema.mutation_type.fields) if schema.mutation_type else []


def placeholder(graphql_type: GraphQLInputType) -> Any:
    """A valid value of an input type that names no existing object."""
    if isinstance(graphql_type, GraphQLNonNull):
        return placeholder(graphql_type.of_type)
    if isinstance(graphql_type, GraphQLList):
        return [placeholder(graphql_type.of_type)]
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    if isinstance(graphql_type, GraphQLInputObjectType):
        return {name: placeholder(field.type) for name, field in graphql_type.fields.items()
                if isinstance(field.type, GraphQLNonNull)}  # fmt: skip
    return {
        "ID": "bm9uZQ",
        "Int": 1,
        "Boolean": False,
        "Decimal": "1.00",
        "CurrencyCode": "CHF",
    }.get(graphql_type.name, "access-matrix-placeholder")


class Expectation:
    def __init__(self, caller: Caller, principal: Any) -> None:
        self.caller = caller
        self.principal = principal
        self.granted = permissions_of(principal)

    def allows(self, requirement: str | None) -> bool:
        return requirement is None or grants(self.granted, requirement)

    def code_for(self, requirement: str | None) -> str | None:
        """The error a field with this requirement gives this caller, or None."""
        if not self.allows(requirement):
            return "FORBIDDEN"
        if requirement and needs_second_factor(requirement) and not self.principal.has_mfa:
            return "MFA_REQUIRED"
        return None


def check_answer(
    body: dict[str, Any],
    expectation: Expectation,
    fields: dict[str, str],
    types: dict[str, str],
) -> set[str]:
    """Assert the answer matches the expectation; return the coordinates it covered."""
    covered: set[str] = set()
    errors = errors_by_path(body)
    expected_errors: dict[tuple[Any, ...], str] = {}
    root = {"__typename": "Query", **(body.get("data") or {})}
    for obj, path in objects(root, ()):
        typename = obj.get("__typename")
        if typename is None:
            continue
        assert expectation.allows(types.get(typename)), (expectation.caller.role, typename, path)
        if typename == "Document":
            assert expectation.allows(f"documents:read:{obj['audience']}"), path
        for key, value in obj.items():
            if key == "__typename":
                continue
            coordinate = f"{typename}.{field_name(key)}"
            covered.add(coordinate)
            code = expectation.code_for(fields.get(coordinate))
            if code is not None:
                assert value is None, (expectation.caller.role, coordinate, path)
                expected_errors[(*path, key)] = code
    denials = {path: codes for path, codes in errors.items()
               if codes & {"FORBIDDEN", "MFA_REQUIRED"}}  # fmt: skip
    assert {p: {c} for p, c in expected_errors.items()} == denials, expectation.caller.role
    assert set(errors) == set(denials), (expectation.caller.role, body.get("errors"))
    return covered


@pytest.fixture(scope="module")
async def matrix_url(sandbox: Sandbox) -> AsyncIterator[str]:
    """A gateway whose operation limits admit the exhaustive queries of this module, with a
    feature flag configured."""
    with running_gateway(
        sandbox, max_query_depth=40, max_query_cost=10**9, max_query_tokens=100_000,
        max_query_aliases=100_000,
        rate_limit_per_principal=10_000, rate_limit_per_organization=100_000,
        feature_flags=EVERYONE,
    ) as url:  # fmt: skip
        yield url


@pytest.fixture(scope="module")
async def callers(
    sandbox: Sandbox, tokens: Tokens, matrix_url: str, viewer_user: str
) -> AsyncIterator[list[Caller]]:
    found = await all_callers(sandbox, tokens, matrix_url)
    yield found
    await close_all(found)


async def test_every_role_sees_exactly_its_fields_and_types(
    sandbox: Sandbox, callers: list[Caller]
) -> None:
    schema = sdl_schema()
    fields, types = requirements(schema)
    covered: set[str] = set()
    for caller in callers:
        expectation = Expectation(caller, await principal_of(sandbox, caller.token))
        for root in ROOT_LISTS:
            response = await caller.client.post(root_query(schema, root))
            assert response.status_code == 200, (caller.role, root, response.text)
            covered |= check_answer(response.json(), expectation, fields, types)
    covered |= interface_fields_covered(schema, covered)
    by_id = {f"Query.{field}" for field in BY_ID.values()}  # see the next test
    mutations = {f"Mutation.{field}" for field in mutation_fields(schema)}  # see the last test
    assert set(fields) - by_id - mutations <= covered, set(fields) - covered  # every one ran
    object_types = readable_types(schema)
    reached = {coordinate.split(".")[0] for coordinate in covered}
    assert object_types <= reached, object_types - reached  # every type was exercised


async def test_objects_by_id_follow_type_and_audience_permissions(
    sandbox: Sandbox, callers: list[Caller]
) -> None:
    schema = sdl_schema()
    fields, types = requirements(schema)
    admin = next(c for c in callers if c.role == "admin").client
    ids = await reference_ids(admin) | await catalog_ids(admin)
    for caller in callers:
        expectation = Expectation(caller, await principal_of(sandbox, caller.token))
        for type_name in NODE_TYPES:
            for node_id, audience in ids[type_name]:
                readable = expectation.allows(types.get(type_name)) and (
                    audience is None or expectation.allows(f"documents:read:{audience}")
                )
                body = (await caller.client.post(
                    "query($id: ID!) { node(id: $id) { id } }", {"id": node_id}
                )).json()  # fmt: skip
                if readable:
                    assert body["data"]["node"] == {"id": node_id}, (caller.role, type_name)
                else:
                    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
                if type_name not in BY_ID:
                    continue
                field = BY_ID[type_name]
                body = (await caller.client.post(
                    f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": node_id}
                )).json()  # fmt: skip
                code = expectation.code_for(fields[f"Query.{field}"])
                if code is None and not readable:
                    code = "NOT_FOUND"
                if code is None:
                    assert body["data"][field] == {"id": node_id}, (caller.role, field)
                else:
                    assert body["errors"][0]["extensions"]["code"] == code, (caller.role, field)


async def test_hidden_items_are_neither_listed_nor_counted(
    sandbox: Sandbox, callers: list[Caller]
) -> None:
    admin = next(c for c in callers if c.role == "admin")
    every = await admin.client.query("""{
        documents(first: 100) { totalCount edges { node { audience } } }
        quotes { totalCount } orders { totalCount } invoices { totalCount }
        tickets { totalCount } bookings { totalCount } cases { totalCount } }""")
    case_permission = {
        "quotes": Permission.QUOTES_READ,
        "orders": Permission.ORDERS_READ,
        "invoices": Permission.INVOICES_READ,
        "tickets": Permission.TICKETS_READ,
        "bookings": Permission.BOOKINGS_READ,
    }
    assert every["cases"]["totalCount"] == sum(
        every[kind]["totalCount"] for kind in case_permission
    )
    for caller in callers:
        expectation = Expectation(caller, await principal_of(sandbox, caller.token))
        body = (await caller.client.post(
            "{ cases(first: 100) { totalCount edges { node { caseType } } } "
            "documents(first: 100) { totalCount edges { node { audience } } } }"
        )).json()  # fmt: skip
        expected_cases = sum(
            every[kind]["totalCount"]
            for kind, permission in case_permission.items()
            if expectation.allows(permission)
        )
        assert body["data"]["cases"]["totalCount"] == expected_cases, caller.role
        assert len(body["data"]["cases"]["edges"]) == min(expected_cases, 100)
        expected_documents = [
            edge for edge in every["documents"]["edges"]
            if expectation.allows(f"documents:read:{edge['node']['audience']}")
        ]  # fmt: skip
        if not expectation.allows("documents:read:*"):
            assert body["data"]["documents"] is None
            continue
        assert body["data"]["documents"]["totalCount"] == len(expected_documents), caller.role
        assert sorted(body["data"]["documents"]["edges"], key=str) == sorted(
            expected_documents, key=str
        )


async def test_specialist_cannot_sort_by_the_prices_she_may_not_see(callers: list[Caller]) -> None:
    carla = next(c for c in callers if c.role == "specialist")
    body = (await carla.client.post(
        "{ orders(orderBy: {field: TOTAL}) { totalCount } }"
    )).json()  # fmt: skip
    assert body["data"] == {"orders": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await carla.client.query("{ orders(orderBy: {field: NUMBER}) { totalCount } }")


async def test_every_role_reaches_exactly_its_mutations(
    sandbox: Sandbox, callers: list[Caller]
) -> None:
    schema = sdl_schema()
    fields, _ = requirements(schema)
    assert schema.mutation_type is not None
    for caller in callers:
        expectation = Expectation(caller, await principal_of(sandbox, caller.token))
        for name, field in schema.mutation_type.fields.items():
            argument = field.args["input"]
            body = (await caller.client.post(
                f"mutation($input: {argument.type}) {{ {name}(input: $input) {{ __typename }} }}",
                {"input": placeholder(argument.type)},
            )).json()  # fmt: skip
            code = expectation.code_for(fields.get(f"Mutation.{name}"))
            if code is None:
                assert body["data"][name] == {"__typename": str(get_named_type(field.type))}, (
                    caller.role, name, body
                )  # fmt: skip
            else:
                assert body["errors"][0]["extensions"]["code"] == code, (caller.role, name)
