"""Callers of every role for access tests, with real tokens from the sandbox identity provider,
and what the exported SDL declares each type and field needs (`@requires`)."""

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import GraphQLSchema, StringValueNode
from graphql import build_schema as build_sdl_schema
from keycloak import KeycloakAdmin

from auth.tokens import TokenVerifier
from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from schema.root import build_schema
from tests.idp_fixtures import (
    DEMO_PASSWORD,
    GATEWAY_CLIENT,
    GATEWAY_SECRET,
    REALM,
    fetch_service_token,
)
from tests.stack import GraphQLClient, Tokens

VIEWER_LOGIN = "victor"
"""A viewer of Muster, created for the tests (the seeded viewer, Eva, is only invited)."""


@dataclass
class Caller:
    """One role's caller: its login, token and GraphQL client (acting for Muster)."""

    role: str
    login: str
    token: str
    client: GraphQLClient


def requirements(schema: GraphQLSchema) -> tuple[dict[str, str], dict[str, str]]:
    """`@requires` of every field (`Type.field`) and every type, from the SDL."""
    fields: dict[str, str] = {}
    types: dict[str, str] = {}
    for name, graphql_type in schema.type_map.items():
        node = graphql_type.ast_node
        if node is not None and (found := _requirement(node)):
            types[name] = found
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if field.ast_node is not None and (found := _requirement(field.ast_node)):
                fields[f"{name}.{field_name}"] = found
    return fields, types


def _requirement(node: Any) -> str | None:
    for directive in getattr(node, "directives", None) or ():
        if directive.name.value == "requires":
            for argument in directive.arguments:
                if argument.name.value == "permission" and isinstance(
                    argument.value, StringValueNode
                ):
                    return argument.value.value
    return None


def sdl_schema() -> GraphQLSchema:
    return build_sdl_schema(build_schema().as_str())


@asynccontextmanager
async def keycloak_admin(idp_url: str) -> AsyncIterator[KeycloakAdmin]:
    """The admin API as the gateway calls it (client credentials of portal-gateway)."""
    admin = KeycloakAdmin(
        server_url=f"{idp_url}/",
        realm_name=REALM,
        client_id=GATEWAY_CLIENT,
        client_secret_key=GATEWAY_SECRET,
    )
    try:
        yield admin
    finally:
        await admin.connection.keycloak_openid.connection.aclose()
        await admin.connection.aclose()


async def create_viewer(idp_url: str) -> str:
    """A user with only the viewer role in Muster; returns its ID."""
    async with keycloak_admin(idp_url) as admin:
        user_id: str = await admin.a_create_user(
            {
                "username": VIEWER_LOGIN,
                "enabled": True,
                "emailVerified": True,
                "firstName": "Victor",
                "lastName": "Vogt",
                "attributes": {"customer_id": [MUSTER], "locale": ["de-CH"]},
                "credentials": [{"type": "password", "value": DEMO_PASSWORD, "temporary": False}],
            }
        )
        await admin.a_assign_realm_roles(user_id, [await admin.a_get_realm_role("viewer")])
    return user_id


async def delete_user(idp_url: str, user_id: str) -> None:
    async with keycloak_admin(idp_url) as admin:
        await admin.a_delete_user(user_id)


ROLE_LOGINS = {
    "admin": "anna",
    "purchasing": "beat",
    "specialist": "carla",
    "accounting": "daniel",
    "viewer": VIEWER_LOGIN,
    "support-agent": "sandra",
    "integrator": "muster-integration",
}


@pytest.fixture(scope="module")
async def viewer_user(sandbox: Sandbox) -> AsyncIterator[str]:
    user_id = await create_viewer(sandbox.url("idp"))
    yield user_id
    await delete_user(sandbox.url("idp"), user_id)


async def token_of(sandbox: Sandbox, tokens: Tokens, login: str) -> str:
    if login == "muster-integration":
        return await fetch_service_token(sandbox.url("idp"))
    return await tokens(login)


def client(url: str, token: str, **headers: str) -> GraphQLClient:
    """A GraphQL client acting for Muster (staff choose it with the organization header)."""
    graphql = GraphQLClient(url, token)
    graphql.http.headers.update({"X-Portal-Organization": MUSTER, **headers})
    return graphql


async def principal_of(sandbox: Sandbox, token: str) -> Any:
    verifier = TokenVerifier(server_url=sandbox.url("idp"), client_secret=GATEWAY_SECRET)
    try:
        return await verifier.verify(token, MUSTER)
    finally:
        await verifier.aclose()


async def all_callers(sandbox: Sandbox, tokens: Tokens, url: str) -> list[Caller]:
    """One caller per role, and the accountant once more after a second factor."""
    found = []
    for role, login in ROLE_LOGINS.items():
        token = await token_of(sandbox, tokens, login)
        found.append(Caller(role, login, token, client(url, token)))
    stepped_up = await tokens("daniel", mfa=True)
    found.append(Caller("accounting+otp", "daniel", stepped_up, client(url, stepped_up)))
    return found


async def close_all(callers: list[Caller]) -> None:
    for caller in callers:
        await caller.client.aclose()


def errors_by_path(body: dict[str, Any]) -> dict[tuple[Any, ...], set[str]]:
    found: dict[tuple[Any, ...], set[str]] = {}
    for error in body.get("errors", []):
        key = tuple(error.get("path") or ())
        found.setdefault(key, set()).add(error.get("extensions", {}).get("code"))
    return found


def unknown_like(node_id: str) -> str:
    """A well-formed global ID of the same type whose upstream ID does not exist."""
    raw = base64.urlsafe_b64decode(node_id + "=" * (-len(node_id) % 4)).decode()
    type_name, system, _ = raw.split(":", 2)
    return base64.urlsafe_b64encode(f"{type_name}:{system}:99999999".encode()).decode().rstrip("=")


async def reference_ids(admin: GraphQLClient) -> dict[str, list[tuple[str, str | None]]]:
    """One ID per type of the organization's own objects (one per audience for documents), as
    Muster's admin sees them. The service catalog is shared: see `catalog_ids`."""
    data = await admin.query("""{
        orders(first: 100) { edges { node { id deliveries { id } quote { id }
            invoices { id payments { id } } } } }
        tickets(first: 1) { edges { node { id } } }
        bookings(first: 1) { edges { node { id } } }
        documents(first: 100) { edges { node { id audience } } } }""")
    orders = [edge["node"] for edge in data["orders"]["edges"]]
    first = {
        "Order": orders[0]["id"],
        "Delivery": next(d["id"] for o in orders for d in o["deliveries"]),
        "Quote": next(o["quote"]["id"] for o in orders if o["quote"]),
        "Invoice": next(i["id"] for o in orders for i in o["invoices"]),
        "Payment": next(p["id"] for o in orders for i in o["invoices"] for p in i["payments"]),
        "Ticket": data["tickets"]["edges"][0]["node"]["id"],
        "Booking": data["bookings"]["edges"][0]["node"]["id"],
    }
    ids: dict[str, list[tuple[str, str | None]]] = {k: [(v, None)] for k, v in first.items()}
    audiences: dict[str, str] = {}
    for edge in data["documents"]["edges"]:
        audiences.setdefault(edge["node"]["audience"], edge["node"]["id"])
    ids["Document"] = [(document_id, audience) for audience, document_id in audiences.items()]
    assert len(ids["Document"]) == 4
    return ids


async def catalog_ids(admin: GraphQLClient) -> dict[str, list[tuple[str, str | None]]]:
    """A service offering's ID and one of its slots': the catalog every organization books
    from (each at its own prices), so not another organization's objects."""
    data = await admin.query(
        "{ bookings(first: 1) { edges { node { slot { id } offering { id } } } } }"
    )
    booking = data["bookings"]["edges"][0]["node"]
    return {
        "Slot": [(booking["slot"]["id"], None)],
        "ServiceOffering": [(booking["offering"]["id"], None)],
    }
