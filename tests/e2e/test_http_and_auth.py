"""GraphQL over HTTP as the spec says, bearer tokens as OIDC says, and tenant isolation:
another organization's object answers exactly like one that never existed."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest

from sandbox.idp import idp_of
from sandbox.server import Sandbox
from tests.forged_tokens import forged, resigned, unsigned
from tests.stack import GraphQLClient, Tokens, running_gateway

Client = Callable[..., Awaitable[GraphQLClient]]
VIEWER = "{ viewer { user { username } } }"
RESPONSE_JSON = "application/graphql-response+json"


async def test_post_and_get_queries(gateway_url: str, tokens: Tokens) -> None:
    headers = {"Authorization": f"Bearer {await tokens('beat')}"}
    async with httpx.AsyncClient(base_url=gateway_url, headers=headers) as http:
        posted = await http.post("/graphql", json={"query": VIEWER})
        got = await http.get("/graphql", params={"query": VIEWER})
    assert posted.json() == got.json() == {"data": {"viewer": {"user": {"username": "beat"}}}}
    assert posted.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"query": "{ viewer { user { username } "}, "syntax"),
        ({"query": "{ viewer { nonsense } }"}, "validation"),
        (
            {
                "query": "query($n: Int!) { orders(first: $n) { totalCount } }",
                "variables": {"n": "many"},
            },
            "variables",
        ),
    ],
)
async def test_request_errors_are_400_for_graphql_response_json(
    gateway_url: str, tokens: Tokens, body: dict[str, object], reason: str
) -> None:
    headers = {"Authorization": f"Bearer {await tokens('beat')}"}
    async with httpx.AsyncClient(base_url=gateway_url, headers=headers) as http:
        modern = await http.post("/graphql", json=body, headers={"Accept": RESPONSE_JSON})
        legacy = await http.post("/graphql", json=body, headers={"Accept": "application/json"})
    assert modern.status_code == 400, reason
    assert modern.headers["content-type"].startswith(RESPONSE_JSON)
    assert "data" not in modern.json()
    assert modern.json()["errors"]
    assert legacy.status_code == 200
    assert legacy.json()["data"] is None
    assert legacy.json()["errors"]


async def test_field_errors_keep_200_with_graphql_response_json(client_for: Client) -> None:
    beat = await client_for("beat")
    response = await beat.post('{ order(id: "bm9wZQ") { number } }', Accept=RESPONSE_JSON)
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_missing_token_is_401(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url) as http:
        response = await http.post("/graphql", json={"query": VIEWER})
        introspection = await http.post(
            "/graphql", json={"query": "{ __schema { queryType { name } } }"}
        )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert introspection.json()["data"] is None  # introspection is off outside the demo
    assert "introspection" in introspection.json()["errors"][0]["message"].lower()


async def test_anonymous_introspection_only_in_demo_mode(sandbox: Sandbox) -> None:
    with running_gateway(sandbox, demo_mode=True) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            schema = await http.post(
                "/graphql", json={"query": "{ __schema { queryType { name } } }"}
            )
            mixed = await http.post("/graphql", json={"query": "{ __typename viewer { roles } }"})
            ide = await http.get("/graphql", headers={"Accept": "text/html"})
    assert schema.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert mixed.status_code == 401
    assert ide.status_code == 200
    assert "graphiql" in ide.text.lower()


async def test_bad_tokens_are_401(sandbox: Sandbox, gateway_url: str, tokens: Tokens) -> None:
    idp = idp_of(sandbox.apps["idp"])
    good = await tokens("beat")
    now = int(datetime.now(UTC).timestamp())
    bad_tokens = {
        "expired": resigned(idp, good, iat=now - 4000, exp=now - 3600),
        "forged": forged(idp, good),
        "wrong issuer": resigned(idp, good, iss="https://evil.example/realms/portal"),
        "wrong audience": resigned(idp, good, aud="account"),
        "alg none": unsigned(idp, good),
        "garbage": "not-a-token",
    }
    async with httpx.AsyncClient(base_url=gateway_url) as http:
        for name, token in bad_tokens.items():
            response = await http.post(
                "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401, name
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "UNAUTHENTICATED", name
            assert "Traceback" not in response.text
