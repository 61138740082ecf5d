"""Web hygiene: CORS from the allow-list, no mutations over GET, CSRF protection, security
headers, request IDs, introspection off and errors masked outside the demo."""

from collections.abc import Iterator
from functools import partial

import httpx
import pytest
import strawberry

from portalgraph.extensions import MaskUnexpectedErrors
from sandbox.server import Sandbox
from tests.stack import Tokens, Upstream, running_gateway

ORIGIN = "https://portal.example.ch"


@pytest.fixture(scope="module")
def hygienic_gateway(sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(sandbox, cors_origins=(ORIGIN,)) as url:
        yield url


async def test_cors_answers_only_allowed_origins(hygienic_gateway: str) -> None:
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}  # fmt: skip
    async with httpx.AsyncClient(base_url=hygienic_gateway) as http:
        allowed = await http.options("/graphql", headers={"Origin": ORIGIN, **preflight})
        other = await http.options(
            "/graphql", headers={"Origin": "https://evil.example", **preflight}
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


async def test_no_mutation_over_get_and_no_simple_cross_site_requests(
    hygienic_gateway: str, tokens: Tokens, upstream: Upstream
) -> None:
    auth = {"Authorization": f"Bearer {await tokens('anna')}"}
    async with httpx.AsyncClient(base_url=hygienic_gateway) as http:
        mutation = await http.get("/graphql", params={"query": "mutation { x }"}, headers=auth)
        form_post = await http.post(
            "/graphql", content=b'{"query": "{ orders { totalCount } }"}',
            headers={"Content-Type": "text/plain"},
        )  # fmt: skip
        bare_get = await http.get("/graphql", params={"query": "{ orders { totalCount } }"})
        preflighted = await http.get(
            "/graphql",
            params={"query": "{ viewer { user { username } } }"},
            headers={"GraphQL-Require-Preflight": "1"},
        )
        with_token = await http.get(
            "/graphql", params={"query": "{ viewer { user { username } } }"}, headers=auth
        )
    assert mutation.status_code in {400, 405}
    assert "mutation" in mutation.text.lower()
    for refused in (form_post, bare_get):
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_SUSPECTED"
    assert preflighted.status_code == 401  # past the CSRF guard; anonymous, so refused
    assert with_token.json() == {"data": {"viewer": {"user": {"username": "anna"}}}}
    assert upstream.total() == 0


async def test_security_headers_and_request_ids(hygienic_gateway: str) -> None:
    async with httpx.AsyncClient(base_url=hygienic_gateway) as http:
        given = await http.get("/healthz", headers={"X-Request-ID": "trace-42"})
        garbage = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "x" * 500}
        )
    for response in (given, garbage):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
    assert given.headers["x-request-id"] == "trace-42"
    assert len(garbage.headers["x-request-id"]) == 32  # replaced by a fresh one


async def test_introspection_and_schema_hints_are_off_outside_the_demo(
    hygienic_gateway: str, sandbox: Sandbox, tokens: Tokens
) -> None:
    auth = {"Authorization": f"Bearer {await tokens('beat')}"}
    typo = {"query": "{ viewer { rolez } }"}
    async with httpx.AsyncClient(base_url=hygienic_gateway, headers=auth) as http:
        schema = await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        hidden = (await http.post("/graphql", json=typo)).json()
    with running_gateway(sandbox, demo_mode=True) as demo_url:
        async with httpx.AsyncClient(base_url=demo_url, headers=auth) as http:
            shown = (await http.post("/graphql", json=typo)).json()
    assert schema.json()["data"] is None
    assert "Did you mean" not in hidden["errors"][0]["message"]
    assert "Did you mean 'roles'?" in shown["errors"][0]["message"]


@strawberry.type
class Broken:
    @strawberry.field
    def boom(self) -> str | None:
        raise ValueError("secret detail of a bug")


class WithRequestId:
    request_id = "req-7"


@pytest.mark.parametrize(("detailed", "message"), [(False, "Internal error."),
                                                   (True, "secret detail of a bug")])  # fmt: skip
async def test_unexpected_errors_are_masked_outside_the_demo(detailed: bool, message: str) -> None:
    schema = strawberry.Schema(
        query=Broken, extensions=[partial(MaskUnexpectedErrors, detailed=detailed)]
    )
    result = await schema.execute("{ boom }", context_value=WithRequestId())
    assert result.errors is not None
    (error,) = result.errors
    assert error.message == message
    assert error.extensions == {"code": "INTERNAL", "requestId": "req-7"}
