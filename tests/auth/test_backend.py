"""BearerTokenBackend in a small Starlette app, with tokens from the sandbox identity provider."""

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.backend import BearerTokenBackend, PrincipalUser, auth_error_response
from auth.tokens import TokenVerifier
from sandbox.server import bind
from tests.idp_fixtures import fetch_token


async def whoami(request: Request) -> Response:
    user = request.user
    if not isinstance(user, PrincipalUser):
        return JSONResponse({"anonymous": True, "scopes": request.auth.scopes})
    principal = user.principal
    return JSONResponse(
        {"username": principal.username, "tenant": principal.tenant, "scopes": request.auth.scopes}
    )


def _app(verifier: TokenVerifier) -> Starlette:
    backend = BearerTokenBackend(verifier)
    middleware = Middleware(AuthenticationMiddleware, backend=backend, on_error=auth_error_response)
    return Starlette(routes=[Route("/whoami", whoami)], middleware=[middleware])


async def _client_for(verifier: TokenVerifier) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=_app(verifier))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


@pytest.fixture
async def gateway(token_verifier: TokenVerifier) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client_for(token_verifier) as client:
        yield client


def _bearer(token: str, organization: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return headers | ({"X-Portal-Organization": organization} if organization else {})


async def test_no_authorization_header_is_anonymous(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/whoami")
    assert response.status_code == 200
    assert response.json() == {"anonymous": True, "scopes": []}


async def test_valid_token_authenticates_with_its_scopes(
    idp_url: str, gateway: httpx.AsyncClient
) -> None:
    response = await gateway.get("/whoami", headers=_bearer(await fetch_token(idp_url, "beat")))
    assert response.status_code == 200
    body = response.json()
    assert (body["username"], body["tenant"]) == ("beat", "0000100001")
    assert body["scopes"] == ["authenticated", "email", "openid", "profile"]


async def test_organization_header_selects_among_the_tokens_organizations(
    idp_url: str, gateway: httpx.AsyncClient
) -> None:
    anna = await fetch_token(idp_url, "anna")
    picked = await gateway.get("/whoami", headers=_bearer(anna, "0000100004"))
    assert picked.json()["tenant"] == "0000100004"
    foreign = await gateway.get("/whoami", headers=_bearer(anna, "0000100003"))
    assert foreign.status_code == 403
    assert foreign.json()["errors"][0]["message"] == "organization not in token"


async def test_invalid_token_is_401_with_a_bearer_challenge(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/whoami", headers=_bearer("abc.def.ghi"))
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "token malformed"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"')


async def test_non_bearer_authorization_is_401(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/whoami", headers={"Authorization": "Basic YW5uYTpkZW1v"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == (
        "authorization header must be 'Bearer <token>'"
    )


async def test_unreachable_identity_provider_is_503(idp_url: str) -> None:
    token = await fetch_token(idp_url, "beat")
    sock = bind()
    host, port = sock.getsockname()[:2]
    sock.close()
    verifier = TokenVerifier(server_url=f"http://{host}:{port}")
    try:
        async with await _client_for(verifier) as client:
            response = await client.get("/whoami", headers=_bearer(token))
        assert response.status_code == 503
    finally:
        await verifier.aclose()
