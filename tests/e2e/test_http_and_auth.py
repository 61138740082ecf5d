"""GraphQL over HTTP as the spec says, bearer tokens as OIDC says, and tenant isolation:
another organization's object answers exactly like one that never existed."""

import json
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
    assert introspection.status_code == 401  # introspection is anonymous only in the demo


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


async def test_limits_reject_deep_and_large_queries(gateway_url: str, tokens: Tokens) -> None:
    headers = {"Authorization": f"Bearer {await tokens('beat')}"}
    deep = (
        "{ orders { edges { node { " + "quote { order { " * 10 + "number" + " } }" * 10 + " } } } }"
    )
    huge = "{ " + " ".join(f"a{i}: __typename" for i in range(3000)) + " }"
    async with httpx.AsyncClient(base_url=gateway_url, headers=headers) as http:
        too_deep = (await http.post("/graphql", json={"query": deep})).json()
        too_many = (await http.post("/graphql", json={"query": huge})).json()
        too_big = await http.post(
            "/graphql",
            content=b'{"query": "' + b" " * 2_000_000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
    assert "exceeds maximum operation depth" in too_deep["errors"][0]["message"]
    assert "token" in too_many["errors"][0]["message"].lower()
    assert too_big.status_code == 413
    assert too_big.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_other_tenants_ids_look_exactly_like_unknown_ids(client_for: Client) -> None:
    """Luc (Lumière) asks for Anna's (Muster) objects and for IDs that never existed."""
    anna, luc = await client_for("anna"), await client_for("luc")
    mine = await anna.query("""{
        orders(first: 1) { edges { node { id } } } invoices(first: 1) { edges { node { id } } }
        tickets(first: 1) { edges { node { id } } } quotes(first: 1) { edges { node { id } } }
        documents(first: 1) { edges { node { id } } } }""")
    for field in ("order", "invoice", "ticket", "quote", "document"):
        foreign_id = mine[f"{field}s"]["edges"][0]["node"]["id"]
        unknown_id = _unknown_like(foreign_id)
        answers = []
        for node_id in (foreign_id, unknown_id):
            by_field = await luc.post(
                f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": node_id}
            )
            by_node = await luc.post("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
            answers.append(
                (by_field.status_code, _without_sources(by_field), by_node.status_code,
                 _without_sources(by_node))
            )  # fmt: skip
        assert answers[0] == answers[1], field
        assert json.loads(answers[0][1])["errors"][0]["extensions"] == {"code": "NOT_FOUND"}


def _without_sources(response: httpx.Response) -> bytes:
    """The answer without `extensions.sources`: its call counts and latencies tell a cache hit
    from a miss, as the response time does anyway; everything else must be identical."""
    body = response.json()
    body.pop("extensions", None)
    return json.dumps(body).encode()


def _unknown_like(node_id: str) -> str:
    """A well-formed global ID of the same type whose upstream ID does not exist."""
    import base64

    raw = base64.urlsafe_b64decode(node_id + "=" * (-len(node_id) % 4)).decode()
    type_name, system, _ = raw.split(":", 2)
    return base64.urlsafe_b64encode(f"{type_name}:{system}:99999999".encode()).decode().rstrip("=")
