"""Managing members end to end: `inviteMember`, `resendInvitation`, `updateMemberRoles`,
`deactivateMember` and `switchOrganization` through the real gateway into the sandbox
identity provider (Keycloak's admin API, its outbox of sent e-mails) and back out through
`organization { members }`, with user errors from the gateway and from the identity
provider, the last administrator kept, denied roles, and another organization's members
answered exactly like unknown ones. These tests write, so they run on a sandbox of their own."""

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from keycloak.exceptions import KeycloakError

from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from schema.common import global_id
from tests.access_fixtures import keycloak_admin
from tests.forged_tokens import claims_of
from tests.idp_fixtures import DEMO_PASSWORD, fetch_token, fetch_token_response
from tests.stack import GraphQLClient, Tokens, running_gateway

LOGISTICA = "0000100004"
NORDLICHT = "0000100003"
MEMBER = "member { id username email name roles status }"
INVITE = f"""mutation($input: InviteMemberInput!) {{
  inviteMember(input: $input) {{ {MEMBER} userErrors {{ field code message }} }} }}"""
RESEND = f"""mutation($input: ResendInvitationInput!) {{
  resendInvitation(input: $input) {{ {MEMBER} userErrors {{ field code message }} }} }}"""
ROLES = f"""mutation($input: UpdateMemberRolesInput!) {{
  updateMemberRoles(input: $input) {{ {MEMBER} userErrors {{ field code message }} }} }}"""
DEACTIVATE = f"""mutation($input: DeactivateMemberInput!) {{
  deactivateMember(input: $input) {{ {MEMBER} userErrors {{ field code message }} }} }}"""
SWITCH = """mutation($input: SwitchOrganizationInput!) {
  switchOrganization(input: $input) { organization { id number }
    userErrors { field code message } } }"""
MEMBERS = """{ organization { number members(first: 100) { totalCount
  edges { node { id username email name roles status } } } } }"""


@pytest.fixture(scope="module")
def own_gateway(own_sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(
        own_sandbox, invitation_redirect_uri="http://127.0.0.1:8000/welcome"
    ) as url:
        yield url


@pytest.fixture
async def anna(own_gateway: str, own_tokens: Tokens) -> AsyncIterator[GraphQLClient]:
    """Muster's administrator, after her second factor."""
    client = GraphQLClient(own_gateway, await own_tokens("anna", mfa=True))
    yield client
    await client.aclose()


@pytest.fixture
async def outbox(own_sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=own_sandbox.url("idp")) as client:
        yield client


def invitation(**changes: Any) -> dict[str, Any]:
    email = f"nina.{uuid.uuid4().hex[:6]}@muster-maschinenbau.ch"
    fields = {"email": email, "firstName": "Nina", "lastName": "Neu", "roles": ["PURCHASING"]}
    return {"input": {**fields, **changes}}


async def members(client: GraphQLClient) -> dict[str, dict[str, Any]]:
    """The organization's members by username."""
    found = (await client.query(MEMBERS))["organization"]["members"]
    assert found["totalCount"] == len(found["edges"])
    return {edge["node"]["username"]: edge["node"] for edge in found["edges"]}


async def member_id(client: GraphQLClient, username: str) -> str:
    return str((await members(client))[username]["id"])


async def sent_to(outbox: httpx.AsyncClient, email: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = (await outbox.get("/_outbox", params={"to": email})).json()
    return sent


def codes(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


async def test_invite_resend_change_roles_and_deactivate(
    anna: GraphQLClient, outbox: httpx.AsyncClient
) -> None:
    before = await members(anna)  # the member list is cached from here on
    assert before["eva"]["status"] == "INVITED"
    assert before["anna"]["roles"] == ["ADMIN", "PURCHASING"]
    variables = invitation(roles=["PURCHASING", "VIEWER"], email="Nina.Neu@Muster-Maschinenbau.ch")
    invited = (await anna.query(INVITE, variables))["inviteMember"]
    assert invited["userErrors"] == []
    member = invited["member"]
    assert member | {"id": None} == {
        "id": None, "username": "nina.neu@muster-maschinenbau.ch",
        "email": "Nina.Neu@Muster-Maschinenbau.ch", "name": "Nina Neu",
        "roles": ["PURCHASING", "VIEWER"], "status": "INVITED",
    }  # fmt: skip
    assert (await members(anna))[member["username"]] == member  # the cache was invalidated
    [mail] = await sent_to(outbox, member["email"])
    assert (mail["actions"], mail["clientId"], mail["redirectUri"], mail["lifespan"]) == (
        ["VERIFY_EMAIL", "UPDATE_PASSWORD"], "portal-frontend", "http://127.0.0.1:8000/welcome",
        7 * 24 * 3600,
    )  # fmt: skip

    resent = (await anna.query(RESEND, {"input": {"memberId": member["id"]}}))["resendInvitation"]
    assert (resent["userErrors"], resent["member"]["status"]) == ([], "INVITED")
    assert len(await sent_to(outbox, member["email"])) == 2

    roles = {"input": {"memberId": member["id"], "roles": ["SPECIALIST"]}}
    changed = (await anna.query(ROLES, roles))["updateMemberRoles"]
    assert changed["member"]["roles"] == ["SPECIALIST"]
    assert (await members(anna))[member["username"]]["roles"] == ["SPECIALIST"]

    node = await anna.query("query($id: ID!) { node(id: $id) { id } }", {"id": member["id"]})
    assert node["node"] == {"id": member["id"]}
    ended = await anna.query(DEACTIVATE, {"input": {"memberId": member["id"]}})
    assert ended["deactivateMember"]["member"]["status"] == "DEACTIVATED"
    assert (await members(anna))[member["username"]]["status"] == "DEACTIVATED"
    again = (await anna.query(RESEND, {"input": {"memberId": member["id"]}}))["resendInvitation"]
    assert again["member"] is None
    assert codes(again) == [(["input", "memberId"], "NOT_INVITED")]
    assert len(await sent_to(outbox, member["email"])) == 2


async def test_a_deactivated_member_can_no_longer_sign_in(
    anna: GraphQLClient, own_sandbox: Sandbox
) -> None:
    idp = own_sandbox.url("idp")
    async with keycloak_admin(idp) as admin:
        await admin.a_create_user({
            "username": "otto", "enabled": True, "emailVerified": True, "firstName": "Otto",
            "lastName": "Oswald", "attributes": {"customer_id": [MUSTER]},
            "credentials": [{"type": "password", "value": DEMO_PASSWORD, "temporary": False}],
        })  # fmt: skip
        otto = await admin.a_get_user_id("otto")
        assert otto is not None
        signed_in = await fetch_token_response(idp, "otto")
        assert signed_in["session_state"] in {s["id"] for s in await admin.a_get_sessions(otto)}
        created_outside = global_id("Member", "idp", otto)  # not in the cached list yet
        result = await anna.query(DEACTIVATE, {"input": {"memberId": created_outside}})
        assert result["deactivateMember"]["member"]["status"] == "DEACTIVATED"
        assert await admin.a_get_sessions(otto) == []  # signed out everywhere
    assert (await members(anna))["otto"]["status"] == "DEACTIVATED"
    with pytest.raises(KeycloakError) as disabled:
        await fetch_token(idp, "otto")
    assert b"Account disabled" in (disabled.value.response_body or b"")


async def test_refused_invitations_are_user_errors_and_create_nobody(
    anna: GraphQLClient, outbox: httpx.AsyncClient
) -> None:
    count = len(await members(anna))
    mails = len((await outbox.get("/_outbox")).json())
    cases: dict[str, tuple[list[tuple[list[str], str]], dict[str, Any]]] = {
        # the gateway's own checks
        "not-an-address": ([(["input", "email"], "INVALID")], {"email": "not-an-address"}),
        "blank names": (
            [(["input", "firstName"], "REQUIRED"), (["input", "lastName"], "REQUIRED")],
            {"firstName": " ", "lastName": ""},
        ),
        "no role": ([(["input", "roles"], "REQUIRED")], {"roles": []}),
        "locale": ([(["input", "locale"], "INVALID")], {"locale": "xx-XX"}),
        # the identity provider's: its user profile, its unique e-mail addresses
        "profile": ([(["input", "lastName"], "INVALID")], {"lastName": "Neu <script>"}),
        "taken": (
            [(["input", "email"], "EMAIL_TAKEN")],
            {"email": "beat.frei@muster-maschinenbau.ch"},
        ),
    }
    for name, (expected, changes) in cases.items():
        result = (await anna.query(INVITE, invitation(**changes)))["inviteMember"]
        assert result["member"] is None, name
        assert codes(result) == expected, (name, result)
        assert all(error["message"] for error in result["userErrors"])
    assert len(await members(anna)) == count
    assert len((await outbox.get("/_outbox")).json()) == mails


async def test_an_invitation_that_cannot_be_sent_leaves_nobody_behind(
    own_sandbox: Sandbox, own_tokens: Tokens, outbox: httpx.AsyncClient
) -> None:
    """A link to a redirect URI the client does not allow: the identity provider refuses the
    e-mail, and the user created a moment before is deleted again."""
    variables = invitation()
    email = variables["input"]["email"]
    elsewhere = "https://elsewhere.example/welcome"
    with running_gateway(own_sandbox, invitation_redirect_uri=elsewhere) as url:
        client = GraphQLClient(url, await own_tokens("anna", mfa=True))
        body = (await client.post(INVITE, variables)).json()
        await client.aclose()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_REJECTED"
    assert body["errors"][0]["extensions"]["system"] == "idp"
    async with keycloak_admin(own_sandbox.url("idp")) as admin:
        assert await admin.a_get_users({"email": email, "exact": True}) == []
    assert await sent_to(outbox, email) == []


async def test_the_last_active_administrator_stays(anna: GraphQLClient) -> None:
    anna_id, beat_id = await member_id(anna, "anna"), await member_id(anna, "beat")
    demote = {"input": {"memberId": anna_id, "roles": ["PURCHASING"]}}
    refused = (await anna.query(ROLES, demote))["updateMemberRoles"]
    assert codes(refused) == [(["input", "roles"], "LAST_ADMIN")]
    refused = (await anna.query(DEACTIVATE, {"input": {"memberId": anna_id}}))["deactivateMember"]
    assert codes(refused) == [(["input", "memberId"], "LAST_ADMIN")]

    invited = (await anna.query(INVITE, invitation(roles=["ADMIN"])))["inviteMember"]
    assert invited["member"]["status"] == "INVITED"  # an invited admin cannot sign in yet
    refused = (await anna.query(ROLES, demote))["updateMemberRoles"]
    assert codes(refused) == [(["input", "roles"], "LAST_ADMIN")]

    promote = {"input": {"memberId": beat_id, "roles": ["ADMIN", "PURCHASING"]}}
    promoted = (await anna.query(ROLES, promote))["updateMemberRoles"]
    assert promoted["member"]["roles"] == ["ADMIN", "PURCHASING"]
    shared = (await anna.query(ROLES, demote))["updateMemberRoles"]
    assert codes(shared) == [(["input", "memberId"], "SHARED_ACCOUNT")]  # Logistica too
    back = {"input": {"memberId": beat_id, "roles": ["PURCHASING"]}}
    assert (await anna.query(ROLES, back))["updateMemberRoles"]["userErrors"] == []
    assert (await members(anna))["beat"]["roles"] == ["PURCHASING"]


async def test_switch_organization_sets_the_default_of_later_tokens(
    anna: GraphQLClient, own_sandbox: Sandbox
) -> None:
    idp = own_sandbox.url("idp")
    logistica = global_id("Organization", "erp", LOGISTICA)
    switched = await anna.query(SWITCH, {"input": {"organizationId": logistica}})
    assert switched["switchOrganization"] == {
        "organization": {"id": logistica, "number": LOGISTICA}, "userErrors": []
    }  # fmt: skip
    later = GraphQLClient(str(anna.http.base_url), await fetch_token(idp, "anna"))
    viewer = await later.query("{ viewer { organization { number } } }")
    await later.aclose()
    assert viewer["viewer"]["organization"]["number"] == LOGISTICA
    muster = global_id("Organization", "erp", MUSTER)
    await anna.query(SWITCH, {"input": {"organizationId": muster}})
    assert claims_of(await fetch_token(idp, "anna"))["customer_id"] == MUSTER

    for foreign in (global_id("Organization", "erp", NORDLICHT), "bm9uZQ", muster[:-2]):
        refused = await anna.query(SWITCH, {"input": {"organizationId": foreign}})
        assert codes(refused["switchOrganization"]) == [(["input", "organizationId"], "NOT_FOUND")]


async def test_another_organizations_member_is_not_found(
    anna: GraphQLClient, own_gateway: str, own_tokens: Tokens
) -> None:
    beat = await member_id(anna, "beat")  # a Muster member
    in_logistica = GraphQLClient(own_gateway, await own_tokens("anna", mfa=True))
    in_logistica.http.headers["X-Portal-Organization"] = LOGISTICA
    unknown = global_id("Member", "idp", str(uuid.uuid4()))
    answers = []
    for member in (beat, unknown, "bm9uZQ"):
        for mutation, name, extra in (
            (RESEND, "resendInvitation", {}),
            (ROLES, "updateMemberRoles", {"roles": ["VIEWER"]}),
            (DEACTIVATE, "deactivateMember", {}),
        ):
            body = await in_logistica.query(mutation, {"input": {"memberId": member, **extra}})
            answers.append((name, body[name]))
    node = await in_logistica.post("query($id: ID!) { node(id: $id) { id } }", {"id": beat})
    await in_logistica.aclose()
    assert node.json()["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
    assert dict(answers[:3]) == dict(answers[3:6]) == dict(answers[6:])
    assert codes(answers[0][1]) == [(["input", "memberId"], "NOT_FOUND")]
    assert (await members(anna))["beat"]["status"] == "ACTIVE"  # nothing changed


async def test_leaving_one_of_several_organizations_keeps_the_others(
    anna: GraphQLClient, own_gateway: str, own_tokens: Tokens, own_sandbox: Sandbox
) -> None:
    in_logistica = GraphQLClient(own_gateway, await own_tokens("anna", mfa=True))
    in_logistica.http.headers["X-Portal-Organization"] = LOGISTICA
    anna_there = await member_id(in_logistica, "anna")
    left = await in_logistica.query(DEACTIVATE, {"input": {"memberId": anna_there}})
    remaining = await members(in_logistica)
    await in_logistica.aclose()
    assert left["deactivateMember"]["member"]["status"] == "DEACTIVATED"
    assert set(remaining) == {"marco"}
    assert (await members(anna))["anna"]["status"] == "ACTIVE"  # still Muster's admin
    claims = claims_of(await fetch_token(own_sandbox.url("idp"), "anna"))
    assert (claims["customer_id"], "customer_ids" in claims) == (MUSTER, False)


async def test_roles_without_users_manage_are_denied(
    own_gateway: str, own_tokens: Tokens, anna: GraphQLClient
) -> None:
    beat = await member_id(anna, "beat")
    mutations = (
        (INVITE, invitation()),
        (RESEND, {"input": {"memberId": beat}}),
        (ROLES, {"input": {"memberId": beat, "roles": ["VIEWER"]}}),
        (DEACTIVATE, {"input": {"memberId": beat}}),
    )
    denied = (("anna", False, "MFA_REQUIRED"), ("beat", False, "FORBIDDEN"),
              ("carla", False, "FORBIDDEN"), ("daniel", True, "FORBIDDEN"))  # fmt: skip
    for user, mfa, code in denied:
        client = GraphQLClient(own_gateway, await own_tokens(user, mfa=mfa))
        for mutation, variables in mutations:
            body = (await client.post(mutation, variables)).json()
            assert body["data"] is None, (user, mutation)
            assert body["errors"][0]["extensions"]["code"] == code, (user, mutation)
        listed = (await client.post(MEMBERS)).json()
        await client.aclose()
        if user == "anna":  # reading members needs no second factor
            assert "errors" not in listed
            continue
        assert listed["data"]["organization"]["members"] is None
        assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await members(anna))["beat"]["status"] == "ACTIVE"
