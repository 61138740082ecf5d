"""The sandbox identity provider's user management as Keycloak answers it: the realm's user
profile validates what the admin API stores, "execute actions" e-mails check their actions,
client and redirect URI and land in the outbox (`GET /_outbox`), logout ends a user's
sessions. Driven by python-keycloak's async admin API, as the gateway uses it."""

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError, KeycloakPostError, KeycloakPutError

from sandbox.seed import MUSTER
from tests.access_fixtures import keycloak_admin
from tests.idp_fixtures import IdpServer, fetch_token_response, running_idp


@pytest.fixture(scope="module")
def own_idp() -> Iterator[IdpServer]:
    """An identity provider of this module's own: these tests add users."""
    with running_idp() as server:
        yield server


@pytest.fixture
async def admin(own_idp: IdpServer) -> AsyncIterator[KeycloakAdmin]:
    async with keycloak_admin(own_idp.url) as client:
        yield client


@pytest.fixture
async def outbox(own_idp: IdpServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=own_idp.url) as client:
        yield client


def person(**fields: Any) -> dict[str, Any]:
    name = f"p-{uuid.uuid4().hex[:8]}"
    return {
        "username": name,
        "email": f"{name}@muster-maschinenbau.ch",
        "firstName": "Petra",
        "lastName": "Probst",
        "enabled": True,
        "attributes": {"customer_id": [MUSTER]},
        **fields,
    }


def error_body(error: KeycloakError) -> Any:
    return json.loads(error.response_body or b"null")


async def test_the_user_profile_refuses_bad_values_with_keycloaks_errors(
    admin: KeycloakAdmin,
) -> None:
    before = await admin.a_users_count()
    with pytest.raises(KeycloakPostError) as one:
        await admin.a_create_user(person(email="not-an-address"))
    assert one.value.response_code == 400
    assert error_body(one.value) == {
        "field": "email", "errorMessage": "error-invalid-email", "params": ["email"]
    }  # fmt: skip

    with pytest.raises(KeycloakPostError) as several:
        await admin.a_create_user(
            person(firstName="<b>Petra</b>", attributes={"customer_id": ["12345"]})
        )
    errors = error_body(several.value)["errors"]
    assert [(e["field"], e["errorMessage"]) for e in errors] == [
        ("firstName", "error-person-name-invalid-character"),
        ("customer_id", "customer number: 10 digits"),
    ]
    with pytest.raises(KeycloakPostError) as nameless:
        await admin.a_create_user({"email": "x@example.ch"})
    assert error_body(nameless.value) == {"errorMessage": "User name is missing"}
    assert await admin.a_users_count() == before  # nothing stored


async def test_an_update_is_validated_as_the_whole_stored_user(admin: KeycloakAdmin) -> None:
    user_id = await admin.a_create_user(person())
    with pytest.raises(KeycloakPutError) as refused:
        await admin.a_update_user(user_id, {"attributes": {"customer_ids": [MUSTER, "x"]}})
    assert error_body(refused.value)["field"] == "customer_ids"
    await admin.a_update_user(user_id, {"lastName": "Probst-Meier"})
    stored = await admin.a_get_user(user_id)
    assert (stored["lastName"], stored["attributes"]) == ("Probst-Meier", {"customer_id": [MUSTER]})


async def test_actions_emails_land_in_the_outbox(
    admin: KeycloakAdmin, outbox: httpx.AsyncClient
) -> None:
    invitee = person(requiredActions=["VERIFY_EMAIL", "UPDATE_PASSWORD"])
    user_id = await admin.a_create_user(invitee)
    await admin.a_send_update_account(
        user_id,
        ["VERIFY_EMAIL", "UPDATE_PASSWORD"],
        client_id="portal-frontend",
        redirect_uri="http://127.0.0.1:8000/welcome",
        lifespan=86400,
    )
    sent = (await outbox.get("/_outbox", params={"to": invitee["email"]})).json()
    assert len(sent) == 1
    assert {k: v for k, v in sent[0].items() if k != "sentAt"} == {
        "to": invitee["email"],
        "subject": "Update Your Account",
        "userId": user_id,
        "actions": ["VERIFY_EMAIL", "UPDATE_PASSWORD"],
        "clientId": "portal-frontend",
        "redirectUri": "http://127.0.0.1:8000/welcome",
        "lifespan": 86400,
    }
    assert len((await outbox.get("/_outbox")).json()) >= 1


@pytest.mark.parametrize(
    ("actions", "query", "message"),
    [
        (["BECOME_ADMIN"], {}, "Provided invalid required actions"),
        (["VERIFY_EMAIL"], {"client_id": "no-such-client"}, "Client doesn't exist"),
        (["VERIFY_EMAIL"], {"redirect_uri": "http://127.0.0.1:8000/"}, "Client id missing"),
        (
            ["VERIFY_EMAIL"],
            {"client_id": "portal-frontend", "redirect_uri": "https://evil.example/"},
            "Invalid redirect uri.",
        ),
    ],
)
async def test_an_actions_email_with_bad_actions_or_links_is_refused_and_not_sent(
    admin: KeycloakAdmin,
    outbox: httpx.AsyncClient,
    actions: list[str],
    query: dict[str, str],
    message: str,
) -> None:
    invitee = person()
    user_id = await admin.a_create_user(invitee)
    with pytest.raises(KeycloakPutError) as refused:
        await admin.a_send_update_account(
            user_id,
            actions,
            client_id=query.get("client_id"),
            redirect_uri=query.get("redirect_uri"),
        )
    assert (refused.value.response_code, error_body(refused.value)) == (
        400,
        {"errorMessage": message},
    )
    assert (await outbox.get("/_outbox", params={"to": invitee["email"]})).json() == []


async def test_logout_ends_every_session_of_the_user(
    own_idp: IdpServer, admin: KeycloakAdmin
) -> None:
    await fetch_token_response(own_idp.url, "beat")
    beat = await admin.a_get_user_id("beat")
    assert beat is not None
    assert await admin.a_get_sessions(beat)
    await admin.a_user_logout(beat)
    assert await admin.a_get_sessions(beat) == []


async def test_available_roles_are_the_realm_roles_the_user_lacks(admin: KeycloakAdmin) -> None:
    beat = await admin.a_get_user_id("beat")
    assert beat is not None
    available = {r["name"] for r in await admin.a_get_available_realm_roles_of_user(beat)}
    assert available == {"admin", "specialist", "accounting", "viewer", "support-agent"}
