"""The sandbox identity provider's browser sign-in: the authorization code flow with PKCE, as a
browser walks it (the forms over HTTP) and a client redeems the code (python-keycloak)."""

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from keycloak import KeycloakOpenID

from tests.idp_fixtures import REALM, IdpServer, totp_code

PORTAL = "http://127.0.0.1:53117/portal/"
"""A portal on a loopback port the realm does not name: the client registers the loopback
redirect URI without a port (RFC 8252 §7.3)."""
ACTION = re.compile(r'<form method="post" action="([^"]+)"')


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture
async def browser(idp_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=idp_url) as client:
        yield client


def authorize_params(challenge: str | None, **extra: str) -> dict[str, str]:
    params = {
        "client_id": "portal-frontend",
        "redirect_uri": PORTAL,
        "response_type": "code",
        "scope": "openid",
        "state": "st-1",
        "nonce": "n-1",
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return params | extra


async def submit(browser: httpx.AsyncClient, page: httpx.Response, **fields: str) -> httpx.Response:
    match = ACTION.search(page.text)
    assert match, page.text
    return await browser.post(unescape(match[1]), data=fields)


async def sign_in(
    browser: httpx.AsyncClient, challenge: str, username: str, otp: str | None = None
) -> dict[str, list[str]]:
    """Walk the forms; the query the browser is redirected back to the portal with."""
    page = await browser.get(
        f"/realms/{REALM}/protocol/openid-connect/auth", params=authorize_params(challenge)
    )
    assert page.status_code == 200
    answer = await submit(browser, page, username=username, password="demo")
    if otp is not None:
        assert 'autocomplete="one-time-code"' in answer.text
        answer = await submit(browser, answer, otp=otp)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(PORTAL)
    return parse_qs(urlsplit(location).query)


async def test_code_with_pkce_gives_the_session_tokens_and_the_second_factor(
    browser: httpx.AsyncClient, frontend: KeycloakOpenID, idp_server: IdpServer
) -> None:
    verifier, challenge = pkce_pair()
    query = await sign_in(browser, challenge, "anna", otp=totp_code("anna"))
    assert query["state"] == ["st-1"]
    assert query["iss"] == [idp_server.issuer]
    tokens = await frontend.a_token(
        grant_type="authorization_code",
        code=query["code"][0],
        redirect_uri=PORTAL,
        code_verifier=verifier,
    )
    claims = await frontend.a_decode_token(tokens["access_token"])
    id_claims = await frontend.a_decode_token(tokens["id_token"], validate=False)
    assert claims["preferred_username"] == "anna"
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["sid"] == query["session_state"][0]
    assert id_claims["nonce"] == "n-1"
    refreshed = await frontend.a_refresh_token(tokens["refresh_token"])
    assert (await frontend.a_decode_token(refreshed["access_token"]))["amr"] == ["pwd", "otp"]


async def test_a_user_without_second_factor_signs_in_with_the_password_alone(
    browser: httpx.AsyncClient, frontend: KeycloakOpenID
) -> None:
    verifier, challenge = pkce_pair()
    query = await sign_in(browser, challenge, "beat")
    tokens = await frontend.a_token(
        grant_type="authorization_code",
        code=query["code"][0],
        redirect_uri=PORTAL,
        code_verifier=verifier,
    )
    assert (await frontend.a_decode_token(tokens["access_token"]))["amr"] == ["pwd"]


@pytest.mark.parametrize(
    ("verifier", "redirect_uri", "description"),
    [
        (None, PORTAL, "PKCE code verifier not specified"),
        ("x" * 43, PORTAL, "PKCE verification failed"),
        ("right", "http://127.0.0.1:53117/portal/other", "Incorrect redirect_uri"),
    ],
)
async def test_a_code_redeemed_wrongly_is_refused_and_spent(
    browser: httpx.AsyncClient, verifier: str | None, redirect_uri: str, description: str
) -> None:
    right, challenge = pkce_pair()
    code = (await sign_in(browser, challenge, "beat"))["code"][0]
    form = {
        "grant_type": "authorization_code",
        "client_id": "portal-frontend",
        "code": code,
        "redirect_uri": redirect_uri,
    }
    if verifier is not None:
        form["code_verifier"] = right if verifier == "right" else verifier
    token_path = f"/realms/{REALM}/protocol/openid-connect/token"
    refused = await browser.post(token_path, data=form)
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": description}
    form |= {"code_verifier": right, "redirect_uri": PORTAL}
    again = await browser.post(token_path, data=form)
    assert again.json() == {"error": "invalid_grant", "error_description": "Code not valid"}


async def test_wrong_password_and_wrong_code_show_the_form_again(
    browser: httpx.AsyncClient, frontend: KeycloakOpenID
) -> None:
    _, challenge = pkce_pair()
    path = f"/realms/{REALM}/protocol/openid-connect/auth"
    page = await browser.get(path, params=authorize_params(challenge))
    wrong = await submit(browser, page, username="anna", password="nope")
    assert wrong.status_code == 200
    assert "Invalid username or password." in wrong.text
    assert 'role="alert"' in wrong.text
    otp_page = await submit(browser, wrong, username="anna", password="demo")
    bad_code = await submit(
        browser, otp_page, otp="000000" if totp_code("anna") != "000000" else "111111"
    )
    assert "Invalid authenticator code." in bad_code.text


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
async def test_a_bad_request_goes_back_to_the_client_with_its_error(
    browser: httpx.AsyncClient, params: dict[str, Any], error: str
) -> None:
    _, challenge = pkce_pair()
    wanted = {k: v for k, v in (authorize_params(challenge) | params).items() if v is not None}
    answer = await browser.get(f"/realms/{REALM}/protocol/openid-connect/auth", params=wanted)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == [error]
    assert query["state"] == ["st-1"]
    assert query["error_description"][0]


@pytest.mark.parametrize(
    "params",
    [
        {"redirect_uri": "https://attacker.example/portal/"},
        {"redirect_uri": "http://127.0.0.1:53117/elsewhere/"},
        {"client_id": "nobody"},
    ],
)
async def test_an_unknown_client_or_redirect_uri_is_never_redirected_to(
    browser: httpx.AsyncClient, params: dict[str, str]
) -> None:
    _, challenge = pkce_pair()
    answer = await browser.get(
        f"/realms/{REALM}/protocol/openid-connect/auth",
        params=authorize_params(challenge, **params),
    )
    assert answer.status_code == 400
    assert "location" not in answer.headers


async def test_the_token_endpoint_answers_the_portals_origin_only(
    browser: httpx.AsyncClient,
) -> None:
    form = {"grant_type": "authorization_code", "client_id": "portal-frontend", "code": "x"}
    path = f"/realms/{REALM}/protocol/openid-connect/token"
    portal = await browser.post(path, data=form, headers={"Origin": "http://127.0.0.1:53117"})
    other = await browser.post(path, data=form, headers={"Origin": "https://attacker.example"})
    assert portal.headers["access-control-allow-origin"] == "http://127.0.0.1:53117"
    assert "access-control-allow-origin" not in other.headers


async def test_discovery_names_the_authorization_endpoint_and_pkce(
    browser: httpx.AsyncClient, idp_server: IdpServer
) -> None:
    discovery = (await browser.get(f"/realms/{REALM}/.well-known/openid-configuration")).json()
    assert discovery["authorization_endpoint"] == (
        f"{idp_server.issuer}/protocol/openid-connect/auth"
    )
    assert "S256" in discovery["code_challenge_methods_supported"]
    assert "authorization_code" in discovery["grant_types_supported"]
