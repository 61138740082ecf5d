"""The sandbox identity provider, driven by python-keycloak as the gateway and clients use it."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakError, KeycloakPostError

from sandbox.idp import load_realm
from tests.idp_fixtures import (
    GATEWAY_CLIENT,
    GATEWAY_SECRET,
    MUSTER_CLIENT,
    MUSTER_SECRET,
    REALM,
    IdpServer,
    fetch_token,
    fetch_token_response,
    totp_code,
)

ANNA_ID = "7f78c0c1-ce68-5030-a45f-d0024a476c1e"
TOKEN_PATH = "/realms/portal/protocol/openid-connect/token"
INVALID_CREDENTIALS = {"error": "invalid_grant", "error_description": "Invalid user credentials"}


@pytest.fixture
async def gateway(idp_url: str) -> AsyncIterator[KeycloakOpenID]:
    openid = KeycloakOpenID(
        server_url=idp_url,
        realm_name=REALM,
        client_id=GATEWAY_CLIENT,
        client_secret_key=GATEWAY_SECRET,
    )
    yield openid
    await openid.connection.aclose()


@pytest.fixture
def admin(idp_url: str) -> KeycloakAdmin:
    """The admin API as the gateway calls it: client credentials of portal-gateway."""
    return KeycloakAdmin(
        server_url=f"{idp_url}/",
        realm_name=REALM,
        client_id=GATEWAY_CLIENT,
        client_secret_key=GATEWAY_SECRET,
    )


@pytest.fixture
async def http(idp_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=idp_url) as client:
        yield client


def test_realm_export_holds_the_designed_users_and_clients() -> None:
    realm = load_realm()
    people = {u.username: u for u in realm.people()}
    assert set(people) == {
        "anna", "beat", "carla", "daniel", "eva", "luc", "chloe", "jonas", "mia", "marco",
        "sophie", "sandra",
    }  # fmt: skip
    anna = people["anna"]
    assert anna.id == ANNA_ID
    assert anna.realm_roles == {"admin", "purchasing"}
    assert anna.attributes["customer_ids"] == ["0000100001", "0000100004"]
    assert anna.totp is not None
    assert anna.totp.secret == "JBSWY3DPEHPK3PXP"
    assert people["daniel"].totp is not None
    assert people["carla"].attributes["pricesVisible"] == ["false"]
    assert people["eva"].required_actions
    assert "customer_id" not in people["sandra"].attributes
    assert {u.attributes["locale"][0] for u in people.values()} == {
        "de-CH",
        "fr-CH",
        "de-DE",
        "it-CH",
    }
    assert realm.clients["portal-frontend"].public
    assert realm.clients[MUSTER_CLIENT].secret == MUSTER_SECRET
    assert realm.service_account(GATEWAY_CLIENT) is not None


def test_discovery_names_issuer_and_endpoints(idp_server: IdpServer) -> None:
    openid = KeycloakOpenID(
        server_url=idp_server.url, realm_name=REALM, client_id="portal-frontend"
    )
    document = openid.well_known()
    assert document["issuer"] == f"{idp_server.url}/realms/portal"
    oidc = f"{document['issuer']}/protocol/openid-connect"
    assert document["token_endpoint"] == f"{oidc}/token"
    assert document["jwks_uri"] == f"{oidc}/certs"
    assert document["introspection_endpoint"] == f"{oidc}/token/introspect"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]


async def test_jwks_publishes_only_the_public_signing_key(
    idp_server: IdpServer, frontend: KeycloakOpenID
) -> None:
    (key,) = (await frontend.a_certs())["keys"]
    assert key["kid"] == idp_server.idp.keys.current_kid
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert "d" not in key


async def test_password_grant_issues_keycloak_shaped_tokens(
    idp_server: IdpServer, frontend: KeycloakOpenID
) -> None:
    response = await frontend.a_token("anna", "demo")
    claims = await frontend.a_decode_token(response["access_token"])  # verified by the JWKS
    assert claims["iss"] == idp_server.issuer
    assert set(claims["aud"]) == {"portal-gateway", "account"}
    assert (claims["azp"], claims["typ"], claims["sub"]) == ("portal-frontend", "Bearer", ANNA_ID)
    assert claims["exp"] - claims["iat"] == response["expires_in"] == 300
    assert claims["sid"] == response["session_state"]
    assert (claims["preferred_username"], claims["name"]) == ("anna", "Anna Keller")
    assert (claims["given_name"], claims["family_name"]) == ("Anna", "Keller")
    assert (claims["email"], claims["locale"]) == ("anna.keller@muster-maschinenbau.ch", "de-CH")
    assert claims["realm_access"] == {"roles": ["admin", "purchasing"]}
    assert claims["customer_id"] == "0000100001"
    assert claims["customer_ids"] == ["0000100001", "0000100004"]
    assert (claims["amr"], claims["acr"]) == (["pwd"], "1")
    assert claims["scope"].split() == ["openid", "profile", "email"]
    assert response["token_type"] == "Bearer"
    assert response["refresh_token"]
    id_token = await frontend.a_decode_token(response["id_token"])
    assert (id_token["typ"], id_token["aud"], id_token["sub"]) == ("ID", "portal-frontend", ANNA_ID)


async def test_member_of_one_organization_has_no_customer_ids(
    idp_url: str, frontend: KeycloakOpenID
) -> None:
    claims = await frontend.a_decode_token(await fetch_token(idp_url, "chloe"))
    assert claims["customer_id"] == "0000100002"
    assert "customer_ids" not in claims
    assert claims["realm_access"]["roles"] == ["accounting"]


async def test_valid_totp_code_adds_otp_to_amr(idp_url: str, frontend: KeycloakOpenID) -> None:
    token = await fetch_token(idp_url, "daniel", totp=totp_code("daniel"))
    claims = await frontend.a_decode_token(token)
    assert (claims["amr"], claims["acr"]) == (["pwd", "otp"], "2")


async def test_wrong_totp_code_is_rejected_like_a_wrong_password(idp_url: str) -> None:
    now = datetime.now(UTC)
    valid = {totp_code("anna", now + timedelta(seconds=s)) for s in (-60, -30, 0, 30, 60)}
    wrong = next(code for code in ("123456", "654321", "111111") if code not in valid)
    with pytest.raises(KeycloakAuthenticationError) as raised:
        await fetch_token_response(idp_url, "anna", totp=wrong)
    assert raised.value.response_code == 401
    assert (
        raised.value.response_body
        == b'{"error":"invalid_grant","error_description":"Invalid user credentials"}'
    )


async def test_password_grant_errors_match_keycloak(http: httpx.AsyncClient) -> None:
    async def post(**form: str) -> tuple[int, Any]:
        response = await http.post(TOKEN_PATH, data={"client_id": "portal-frontend", **form})
        return response.status_code, response.json()

    assert await post(grant_type="password", username="beat", password="nope") == (
        401,
        INVALID_CREDENTIALS,
    )
    assert await post(grant_type="password", username="nobody", password="demo") == (
        401,
        INVALID_CREDENTIALS,
    )
    status, body = await post(grant_type="password", username="eva", password="demo")
    assert (status, body["error_description"]) == (400, "Account is not fully set up")
    status, body = await post(grant_type="implicit")
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    status, body = await post(grant_type="client_credentials")
    assert (status, body["error"]) == (401, "unauthorized_client")


async def test_confidential_client_with_a_wrong_secret_is_an_invalid_client(
    http: httpx.AsyncClient,
) -> None:
    form = {"grant_type": "client_credentials", "client_id": MUSTER_CLIENT, "client_secret": "x"}
    response = await http.post(TOKEN_PATH, data=form)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_client_credentials_bind_the_integration_to_muster(
    idp_url: str, http: httpx.AsyncClient, frontend: KeycloakOpenID
) -> None:
    openid = KeycloakOpenID(
        server_url=idp_url,
        realm_name=REALM,
        client_id=MUSTER_CLIENT,
        client_secret_key=MUSTER_SECRET,
    )
    try:
        response = await openid.a_token(grant_type="client_credentials")
    finally:
        await openid.connection.aclose()
    assert "refresh_token" not in response
    claims = await frontend.a_decode_token(response["access_token"])
    assert claims["azp"] == MUSTER_CLIENT
    assert claims["preferred_username"] == "service-account-muster-integration"
    assert claims["customer_id"] == "0000100001"
    assert {"orders:read", "invoices:read", "events:subscribe"} <= set(claims["scope"].split())
    assert "portal-gateway" in claims["aud"]
    basic = await http.post(
        TOKEN_PATH, data={"grant_type": "client_credentials"}, auth=(MUSTER_CLIENT, MUSTER_SECRET)
    )
    assert basic.status_code == 200


async def test_refresh_keeps_the_session_and_its_second_factor(
    idp_url: str, frontend: KeycloakOpenID
) -> None:
    first = await fetch_token_response(idp_url, "anna", totp=totp_code("anna"))
    refreshed = await frontend.a_refresh_token(first["refresh_token"])
    claims = await frontend.a_decode_token(refreshed["access_token"])
    assert claims["sid"] == first["session_state"]
    assert claims["amr"] == ["pwd", "otp"]


async def test_introspection_reports_live_and_dead_tokens(
    idp_url: str, gateway: KeycloakOpenID, frontend: KeycloakOpenID
) -> None:
    live = await gateway.a_introspect(await fetch_token(idp_url, "beat"))
    assert live["active"] is True
    assert (live["username"], live["client_id"], live["customer_id"]) == (
        "beat",
        "portal-frontend",
        "0000100001",
    )
    assert await gateway.a_introspect("not-a-token") == {"active": False}
    with pytest.raises(KeycloakError) as raised:
        await frontend.a_introspect("whatever")
    assert raised.value.response_code == 403


async def test_userinfo_answers_for_a_valid_token_only(
    idp_url: str, frontend: KeycloakOpenID
) -> None:
    info = await frontend.a_userinfo(await fetch_token(idp_url, "luc"))
    assert isinstance(info, dict)
    assert (info["preferred_username"], info["locale"], info["customer_id"]) == (
        "luc",
        "fr-CH",
        "0000100002",
    )
    assert "realm_access" not in info
    with pytest.raises(KeycloakAuthenticationError):
        await frontend.a_userinfo("forged")


async def test_logout_ends_the_session(
    idp_url: str, frontend: KeycloakOpenID, gateway: KeycloakOpenID
) -> None:
    response = await fetch_token_response(idp_url, "mia")
    assert await frontend.a_logout(response["refresh_token"]) == {}
    with pytest.raises(KeycloakPostError) as raised:
        await frontend.a_refresh_token(response["refresh_token"])
    assert b"Invalid refresh token" in (raised.value.response_body or b"")
    assert (await gateway.a_introspect(response["access_token"]))["active"] is False


def test_admin_searches_users_by_organization(admin: KeycloakAdmin) -> None:
    lumiere = admin.get_users({"q": "customer_id:0000100002"})
    assert [u["username"] for u in lumiere] == ["chloe", "luc"]
    assert admin.get_users({"username": "anna", "exact": True})[0]["totp"] is True
    assert [u["username"] for u in admin.get_users({"search": "Bernasconi"})] == ["marco"]
    assert admin.users_count({"q": "customer_id:0000100003"}) == 2
    assert "service-account-portal-gateway" not in {u["username"] for u in admin.get_users()}
    assert {"admin", "purchasing", "specialist", "accounting", "viewer", "support-agent"} <= {
        r["name"] for r in admin.get_realm_roles()
    }


async def test_admin_creates_a_member_who_can_then_log_in(
    idp_server: IdpServer, admin: KeycloakAdmin
) -> None:
    username = f"new-{uuid.uuid4().hex[:8]}"
    user_id = admin.create_user(
        {
            "username": username,
            "email": f"{username}@muster-maschinenbau.ch",
            "enabled": True,
            "firstName": "Neu",
            "lastName": "Mitglied",
            "attributes": {"customer_id": ["0000100001"], "locale": ["de-CH"]},
            "credentials": [{"type": "password", "value": "s3cret", "temporary": False}],
        }
    )
    assert admin.get_user_id(username) == user_id
    with pytest.raises(KeycloakPostError) as duplicate:
        admin.create_user({"username": username})
    assert duplicate.value.response_code == 409

    admin.assign_realm_roles(user_id, [admin.get_realm_role("purchasing")])
    assert [r["name"] for r in admin.get_realm_roles_of_user(user_id)] == ["purchasing"]
    claims = await _claims(idp_server, await fetch_token(idp_server.url, username, "s3cret"))
    assert (claims["realm_access"]["roles"], claims["customer_id"]) == (
        ["purchasing"],
        "0000100001",
    )

    admin.send_update_account(user_id, ["UPDATE_PASSWORD"], lifespan=3600)
    sent = idp_server.idp.sent_emails[-1]
    assert (sent.user_id, sent.actions, sent.lifespan) == (user_id, ("UPDATE_PASSWORD",), 3600)

    admin.update_user(user_id, {"enabled": False})
    assert admin.get_user(user_id)["enabled"] is False
    with pytest.raises(KeycloakError) as disabled:
        await fetch_token(idp_server.url, username, "s3cret")
    assert b"Account disabled" in (disabled.value.response_body or b"")
    admin.delete_realm_roles_of_user(user_id, [admin.get_realm_role("purchasing")])
    assert admin.get_realm_roles_of_user(user_id) == []
    admin.delete_user(user_id)
    assert admin.get_user_id(username) is None


async def test_admin_async_api_works_alike(admin: KeycloakAdmin) -> None:
    try:
        marco = await admin.a_get_users({"username": "marco", "exact": True})
        assert [u["attributes"]["customer_id"] for u in marco] == [["0000100004"]]
        roles = await admin.a_get_realm_roles_of_user(marco[0]["id"])
        assert [r["name"] for r in roles] == ["admin"]
    finally:
        await admin.connection.aclose()
        await admin.connection.keycloak_openid.connection.aclose()


async def test_admin_create_answers_201_with_location(
    idp_url: str, http: httpx.AsyncClient
) -> None:
    token = await _gateway_token(http)
    username = f"loc-{uuid.uuid4().hex[:8]}"
    response = await http.post(
        "/admin/realms/portal/users",
        json={"username": username},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert response.headers["Location"].startswith(f"{idp_url}/admin/realms/portal/users/")


async def test_admin_lists_a_users_sessions(idp_url: str, admin: KeycloakAdmin) -> None:
    response = await fetch_token_response(idp_url, "jonas")
    sessions = admin.get_sessions(admin.get_user_id("jonas") or "")
    assert response["session_state"] in {s["id"] for s in sessions}
    assert all(s["username"] == "jonas" for s in sessions)


async def test_admin_api_needs_a_realm_management_role(
    idp_url: str, http: httpx.AsyncClient
) -> None:
    assert (await http.get("/admin/realms/portal/users")).status_code == 401
    user_token = await fetch_token(idp_url, "anna")
    as_anna = await http.get(
        "/admin/realms/portal/users", headers={"Authorization": f"Bearer {user_token}"}
    )
    assert as_anna.status_code == 403


async def _gateway_token(http: httpx.AsyncClient) -> str:
    form = {"grant_type": "client_credentials"}
    response = await http.post(TOKEN_PATH, data=form, auth=(GATEWAY_CLIENT, GATEWAY_SECRET))
    return str(response.json()["access_token"])


async def _claims(idp_server: IdpServer, token: str) -> dict[str, Any]:
    claims = idp_server.idp.keys.verify(token)
    assert claims is not None
    return claims
