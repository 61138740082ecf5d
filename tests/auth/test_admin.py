"""The gateway's admin client (`auth.admin`) against the sandbox identity provider, as the
gateway's own service account: members by organization with their realm roles, creating,
changing and deleting users, the "execute actions" e-mail, and Keycloak's refusals and
outages as the two kinds of admin error."""

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakError

from auth import membership
from auth.admin import ActionsLink, NewAccount, UserAdmin
from auth.admin_errors import AdminRejected, AdminUnavailable
from sandbox.seed import MUSTER
from sandbox.server import bind
from tests.idp_fixtures import (
    GATEWAY_CLIENT,
    GATEWAY_SECRET,
    REALM,
    IdpServer,
    fetch_token_response,
    running_idp,
)

LOGISTICA = "0000100004"
LINK = ActionsLink("portal-frontend", "http://127.0.0.1:8000/welcome", 3600)


@pytest.fixture(scope="module")
def own_idp() -> Iterator[IdpServer]:
    """An identity provider of this module's own: these tests change users."""
    with running_idp() as server:
        yield server


def client(url: str, secret: str = GATEWAY_SECRET) -> UserAdmin:
    return UserAdmin(
        server_url=f"{url}/",
        realm=REALM,
        client_id=GATEWAY_CLIENT,
        client_secret=secret,
        link=LINK,
        timeout_s=5,
    )


@pytest.fixture
async def admin(own_idp: IdpServer) -> AsyncIterator[UserAdmin]:
    users = client(own_idp.url)
    yield users
    await users.aclose()


async def refresh(url: str, refresh_token: str) -> None:
    openid = KeycloakOpenID(server_url=url, realm_name=REALM, client_id="portal-frontend")
    try:
        await openid.a_refresh_token(refresh_token)
    finally:
        await openid.connection.aclose()


def newcomer(**changes: object) -> NewAccount:
    name = f"n-{uuid.uuid4().hex[:8]}"
    fields: dict[str, object] = {
        "username": f"{name}@muster-maschinenbau.ch",
        "email": f"{name}@muster-maschinenbau.ch",
        "first_name": "Nina",
        "last_name": "Neu",
        "attributes": membership.joining(MUSTER),
        "required_actions": ("VERIFY_EMAIL", "UPDATE_PASSWORD"),
    }
    return NewAccount(**{**fields, **changes})  # type: ignore[arg-type]


async def test_members_are_found_by_either_membership_attribute(admin: UserAdmin) -> None:
    muster = {a.username: a for a in await admin.members_of(MUSTER)}
    assert {"anna", "beat", "carla", "daniel", "eva"} <= set(muster)
    assert "marco" not in muster
    anna = muster["anna"]
    assert (anna.roles, anna.organizations, anna.has_totp) == (
        ("admin", "purchasing"), (MUSTER, LOGISTICA), True
    )  # fmt: skip
    assert muster["eva"].required_actions == ("VERIFY_EMAIL", "UPDATE_PASSWORD")
    logistica = [a.username for a in await admin.members_of(LOGISTICA)]
    assert logistica == ["anna", "marco"]  # anna through customer_ids only
    assert await admin.members_of("0000100001 x") == []


async def test_a_new_user_gets_roles_and_the_actions_email(
    own_idp: IdpServer, admin: UserAdmin
) -> None:
    new = newcomer()
    user_id = await admin.create(new)
    await admin.set_roles(user_id, {"purchasing", "viewer"}, ())
    await admin.send_actions_email(user_id, ("VERIFY_EMAIL", "UPDATE_PASSWORD"))
    created = await admin.account(user_id)
    assert created is not None
    assert (created.username, created.email, created.enabled) == (new.username, new.email, True)
    assert (created.roles, created.organizations) == (("purchasing", "viewer"), (MUSTER,))
    async with httpx.AsyncClient(base_url=own_idp.url) as http:
        sent = (await http.get("/_outbox", params={"to": new.email})).json()
    assert [(m["userId"], m["actions"], m["clientId"], m["redirectUri"], m["lifespan"])
            for m in sent] == [
        (user_id, ["VERIFY_EMAIL", "UPDATE_PASSWORD"], LINK.client_id, LINK.redirect_uri,
         LINK.lifespan_s)
    ]  # fmt: skip

    await admin.set_roles(user_id, {"accounting"}, {"viewer"})
    await admin.update(user_id, {"enabled": False})
    changed = await admin.account(user_id)
    assert changed is not None
    assert (changed.roles, changed.enabled, changed.email) == (
        ("accounting", "purchasing"), False, new.email
    )  # fmt: skip
    await admin.delete(user_id)
    assert await admin.account(user_id) is None


async def test_membership_attributes_change_as_one(admin: UserAdmin) -> None:
    anna = next(a for a in await admin.members_of(MUSTER) if a.username == "anna")
    await admin.update(anna.id, {"attributes": membership.switched(anna.attributes, LOGISTICA)})
    switched = await admin.account(anna.id)
    assert switched is not None
    assert switched.attributes[membership.CUSTOMER_ID] == [LOGISTICA]
    assert switched.organizations == (MUSTER, LOGISTICA)
    assert switched.locale == "de-CH"  # other attributes are kept
    await admin.update(anna.id, {"attributes": anna.attributes})


async def test_refusals_carry_keycloaks_reasons(admin: UserAdmin) -> None:
    taken = newcomer(username="anna-again", email="anna.keller@muster-maschinenbau.ch")
    with pytest.raises(AdminRejected) as conflict:
        await admin.create(taken)
    assert conflict.value.conflict
    with pytest.raises(AdminRejected) as invalid:
        await admin.create(newcomer(first_name="{Nina}", email="nina@"))
    assert not invalid.value.conflict
    assert {(r.field, r.reason) for r in invalid.value.refusals} == {
        ("email", "error-invalid-email"),
        ("firstName", "error-person-name-invalid-character"),
    }
    beat = next(a for a in await admin.members_of(MUSTER) if a.username == "beat")
    with pytest.raises(AdminRejected) as unknown_action:
        await admin.send_actions_email(beat.id, ("BECOME_ADMIN",))
    assert unknown_action.value.refusals[0].reason == "Provided invalid required actions"
    assert await admin.account("6a1c1f9e-0000-4000-8000-000000000000") is None


async def test_logout_ends_the_users_sessions(own_idp: IdpServer, admin: UserAdmin) -> None:
    signed_in = await fetch_token_response(own_idp.url, "jonas")
    jonas = next(a for a in await admin.members_of("0000100003") if a.username == "jonas")
    await admin.logout(jonas.id)
    with pytest.raises(KeycloakError) as refused:
        await refresh(own_idp.url, signed_in["refresh_token"])
    assert b"Invalid refresh token" in (refused.value.response_body or b"")


async def test_an_unreachable_or_misconfigured_admin_api_is_unavailable(
    own_idp: IdpServer,
) -> None:
    wrong_secret = client(own_idp.url, secret="not-the-secret")
    with pytest.raises(AdminUnavailable):
        await wrong_secret.members_of(MUSTER)
    await wrong_secret.aclose()
    sock = bind()  # a port that accepts nothing: bound, never served
    host, port = sock.getsockname()[:2]
    sock.close()
    unreachable = client(f"http://{host}:{port}")
    with pytest.raises(AdminUnavailable):
        await unreachable.account("7f78c0c1-ce68-5030-a45f-d0024a476c1e")
    await unreachable.aclose()
