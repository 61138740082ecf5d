"""Tenant isolation: for every `node(id:)` type and every field that takes an ID, another
organization's ID answers byte for byte like an ID that never existed, whether asked
directly, by `node`/`nodes`, under an alias, in a fragment, over a WebSocket, by provider
staff acting for another customer, or as a cursor crafted from another tenant's data."""

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sandbox.seed import LUMIERE, MUSTER
from sandbox.server import Sandbox
from tests.access_fixtures import client, reference_ids, unknown_like
from tests.stack import GraphQLClient, Tokens, answer_bytes, without_sources
from tests.ws_client import Closed, graphql_ws

FIELD_OF = {"Quote": "quote", "Order": "order", "Invoice": "invoice", "Ticket": "ticket",
            "Document": "document", "Booking": "booking"}  # fmt: skip


def asks(type_name: str) -> dict[str, str]:
    """Every way to ask for one object by ID, as named operations on `$id`."""
    field = FIELD_OF.get(type_name)
    ways = {
        "node": "query($id: ID!) { node(id: $id) { id } }",
        "nodes": "query($id: ID!) { nodes(ids: [$id]) { id } }",
        "alias": "query($id: ID!) { found: node(id: $id) { __typename ... on Node { id } } }",
        "fragment": f"""query($id: ID!) {{ node(id: $id) {{ ...Seen }} }}
                        fragment Seen on {type_name} {{ id }}""",
        "variables inline": "query($id: ID!) { a: nodes(ids: [$id, $id]) { id } }",
    }
    if field is not None:
        ways[field] = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
        ways[f"aliased {field}"] = f"query($id: ID!) {{ other: {field}(id: $id) {{ id }} }}"
    return ways


@pytest.fixture(scope="module")
async def muster_ids(
    gateway_url: str, tokens: Tokens
) -> AsyncIterator[dict[str, list[tuple[str, str | None]]]]:
    anna = GraphQLClient(gateway_url, await tokens("anna"))
    try:
        yield await reference_ids(anna)
    finally:
        await anna.aclose()


async def answers(asker: GraphQLClient, query: str, node_id: str) -> tuple[int, bytes]:
    response = await asker.post(query, {"id": node_id})
    return response.status_code, answer_bytes(response)


@pytest.mark.parametrize("asker_login", ["luc", "sandra"])
async def test_foreign_ids_answer_like_unknown_ones(
    gateway_url: str,
    tokens: Tokens,
    muster_ids: dict[str, list[tuple[str, str | None]]],
    asker_login: str,
) -> None:
    """Luc (Lumière's admin), and Sandra (staff) acting for Lumière, ask for Muster's IDs."""
    asker = client(gateway_url, await tokens(asker_login), **{"X-Portal-Organization": LUMIERE})
    try:
        for type_name, ids in muster_ids.items():
            for node_id, _ in ids:
                for way, query in asks(type_name).items():
                    foreign = await answers(asker, query, node_id)
                    unknown = await answers(asker, query, unknown_like(node_id))
                    assert foreign == unknown, (type_name, way)
                    assert node_id.encode() not in foreign[1]
                    assert not_found(json.loads(foreign[1])), (type_name, way, foreign)
    finally:
        await asker.aclose()


async def test_the_owner_sees_what_others_cannot(
    gateway_url: str, tokens: Tokens, muster_ids: dict[str, list[tuple[str, str | None]]]
) -> None:
    """The same questions from Muster's admin find every object (the suite asks real IDs)."""
    anna = client(gateway_url, await tokens("anna"))
    try:
        for type_name, ids in muster_ids.items():
            for node_id, _ in ids:
                status, body = await answers(anna, asks(type_name)["node"], node_id)
                assert (status, json.loads(body)) == (200, {"data": {"node": {"id": node_id}}})
    finally:
        await anna.aclose()


async def test_over_a_websocket_too(
    gateway_url: str, tokens: Tokens, muster_ids: dict[str, list[tuple[str, str | None]]]
) -> None:
    init = {"Authorization": f"Bearer {await tokens('luc')}"}
    async with graphql_ws(gateway_url, init) as socket:
        me = await socket.execute("{ viewer { user { username } organization { number } } }")
        assert me["data"]["viewer"] == {"user": {"username": "luc"},
                                        "organization": {"number": LUMIERE}}  # fmt: skip
        for type_name, ids in muster_ids.items():
            for node_id, _ in ids:
                for way, query in asks(type_name).items():
                    foreign = await socket.execute(query, {"id": node_id})
                    unknown = await socket.execute(query, {"id": unknown_like(node_id)})
                    assert without_sources(foreign) == without_sources(unknown), (type_name, way)
                    assert node_id not in json.dumps(foreign)
                    assert not_found(foreign), (type_name, way, foreign)


def not_found(body: dict[str, Any]) -> bool:
    """A NOT_FOUND error, or (for `nodes`) only nulls and no error."""
    codes = {error["extensions"]["code"] for error in body.get("errors", [])}
    if codes:
        return codes == {"NOT_FOUND"}
    return all(item is None for value in body["data"].values() for item in value)


def cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


async def test_cursors_crafted_from_another_tenants_data(
    gateway_url: str, tokens: Tokens, sandbox: Sandbox
) -> None:
    luc = client(gateway_url, await tokens("luc"), **{"X-Portal-Organization": LUMIERE})
    lists = {
        "orders": [o.id for o in sandbox.seed.orders if o.customer == MUSTER],
        "invoices": [i.id for i in sandbox.seed.invoices if i.customer == MUSTER],
        "tickets": [t.id for t in sandbox.seed.tickets if t.customer == MUSTER],
        "bookings": [b.id for b in sandbox.seed.bookings if b.customer == MUSTER],
    }
    try:
        for field, foreign_ids in lists.items():
            query = f"query($c: String) {{ {field}(first: 5, after: $c) {{ totalCount }} }}"
            for foreign_id in foreign_ids[:3]:
                foreign = await luc.post(query, {"c": cursor(field, foreign_id)})
                unknown = await luc.post(query, {"c": cursor(field, "99999999")})
                assert (foreign.status_code, answer_bytes(foreign)) == (
                    unknown.status_code,
                    answer_bytes(unknown),
                ), field
                assert foreign.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    finally:
        await luc.aclose()


async def test_an_organization_not_in_the_token_is_refused(
    gateway_url: str, tokens: Tokens
) -> None:
    luc = client(gateway_url, await tokens("luc"), **{"X-Portal-Organization": MUSTER})
    try:
        response = await luc.post("{ viewer { user { username } } }")
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    finally:
        await luc.aclose()
    init = {"Authorization": f"Bearer {await tokens('luc')}", "X-Portal-Organization": MUSTER}
    with pytest.raises(Closed) as closed:
        async with graphql_ws(gateway_url, init):
            pass
    assert closed.value.code == 4403
