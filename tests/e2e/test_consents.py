"""Consents end to end: `consents` and `consentHistory` read from the CRM, `grantConsent` and
`revokeConsent` written into it and read back at once, the CRM's append-only register checked
directly, user errors (an outdated text, nothing to revoke), the CRM's own refusals, denied
roles, and the ANALYTICS consent honoured by the usage counters. These tests write, so they run
on a sandbox of their own."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from sandbox.crm.consents import CURRENT_TEXTS
from sandbox.seed import SOPHIE
from sandbox.server import CRM_TOKEN, Sandbox
from tests.idp_fixtures import fetch_token
from tests.stack import GraphQLClient, Tokens, running_gateway, running_sandbox

CONSENTS = "{ consents { id purpose granted textVersion at } }"
HISTORY = "{ consentHistory { purpose granted textVersion at } }"
GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) {
  consent { id purpose granted textVersion at } userErrors { field code message } } }"""
REVOKE = """mutation($input: RevokeConsentInput!) { revokeConsent(input: $input) {
  consent { id purpose granted textVersion at } userErrors { field code message } } }"""
ACTIVE_USERS = """query($day: Date!) { insights(from: $day, to: $day) {
  total { activeUsers logins } } }"""
SOPHIE_EMAIL = "sophie.rossi@example.ch"


@pytest.fixture(scope="module")
def own_sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def own_gateway(own_sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(own_sandbox) as url:
        yield url


@pytest.fixture(scope="module")
def own_tokens(own_sandbox: Sandbox) -> Tokens:
    return Tokens(own_sandbox.url("idp"))


@pytest.fixture
async def client_of(own_gateway: str, own_tokens: Tokens) -> AsyncIterator[Any]:
    clients: list[GraphQLClient] = []

    async def make(username: str) -> GraphQLClient:
        client = GraphQLClient(own_gateway, await own_tokens(username))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def register(sandbox: Sandbox, email: str) -> list[tuple[str, bool, str]]:
    """The CRM's own register for one person, oldest first."""
    return [
        (c.purpose.upper(), c.granted, c.text_version)
        for c in sorted(sandbox.seed.consents, key=lambda c: (c.decided_at, c.id))
        if c.email == email
    ]


async def test_the_viewer_reads_their_decisions_from_the_crm(
    own_sandbox: Sandbox, client_of: Any
) -> None:
    sophie = await client_of("sophie")
    current = (await sophie.query(CONSENTS))["consents"]
    expected: dict[str, tuple[bool, str]] = {}
    for purpose, granted, version in register(own_sandbox, SOPHIE_EMAIL):
        expected[purpose] = (granted, version)
    assert {c["purpose"]: (c["granted"], c["textVersion"]) for c in current} == expected
    assert expected["ANALYTICS"][0] is False  # the seed's revocation
    history = (await sophie.query(HISTORY))["consentHistory"]
    assert [(h["purpose"], h["granted"], h["textVersion"]) for h in history] == list(
        reversed(register(own_sandbox, SOPHIE_EMAIL))
    )
    luc = await client_of("luc")  # another organization's person sees nothing of hers
    assert (await luc.query(HISTORY))["consentHistory"] == []


async def test_grant_and_revoke_write_into_the_crm_and_read_back(
    own_sandbox: Sandbox, client_of: Any
) -> None:
    beat = await client_of("beat")
    email = "beat.frei@muster-maschinenbau.ch"
    assert (await beat.query(CONSENTS))["consents"] == []  # read, and cached
    before = len(own_sandbox.seed.consents)
    version = CURRENT_TEXTS["marketing_email"]
    granted = (await beat.query(GRANT, {"input": {
        "purpose": "MARKETING_EMAIL", "textVersion": version}}))["grantConsent"]  # fmt: skip
    assert granted["userErrors"] == []
    assert (granted["consent"]["purpose"], granted["consent"]["granted"]) == (
        "MARKETING_EMAIL", True
    )  # fmt: skip
    assert register(own_sandbox, email) == [("MARKETING_EMAIL", True, version)]
    current = (await beat.query(CONSENTS))["consents"]
    assert [(c["purpose"], c["granted"]) for c in current] == [("MARKETING_EMAIL", True)]

    revoked = (await beat.query(REVOKE, {"input": {"purpose": "MARKETING_EMAIL"}}))["revokeConsent"]
    assert revoked["userErrors"] == []
    assert revoked["consent"]["granted"] is False
    assert revoked["consent"]["id"] != granted["consent"]["id"]
    assert register(own_sandbox, email) == [
        ("MARKETING_EMAIL", True, version), ("MARKETING_EMAIL", False, version)
    ]  # fmt: skip
    assert len(own_sandbox.seed.consents) == before + 2  # appended, nothing changed
    history = (await beat.query(HISTORY))["consentHistory"]
    assert [(h["purpose"], h["granted"]) for h in history] == [
        ("MARKETING_EMAIL", False), ("MARKETING_EMAIL", True)
    ]  # fmt: skip
    assert (await beat.query(CONSENTS))["consents"][0]["granted"] is False


async def test_refused_input_is_a_user_error_and_writes_nothing(
    own_sandbox: Sandbox, client_of: Any
) -> None:
    carla = await client_of("carla")
    before = len(own_sandbox.seed.consents)
    cases = [
        (GRANT, {"purpose": "ANALYTICS", "textVersion": "v0"}, "OUTDATED_TEXT_VERSION",
         ["input", "textVersion"]),
        (GRANT, {"purpose": "ANALYTICS", "textVersion": "  "}, "INVALID", ["input", "textVersion"]),
        (REVOKE, {"purpose": "PERSONALIZATION"}, "NOT_GRANTED", ["input", "purpose"]),
    ]  # fmt: skip
    for mutation, arguments, code, field in cases:
        body = await carla.query(mutation, {"input": arguments})
        [payload] = body.values()
        assert payload["consent"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
        assert payload["userErrors"][0]["message"]
    assert len(own_sandbox.seed.consents) == before


async def test_the_crm_validates_its_register_itself(own_sandbox: Sandbox) -> None:
    crm = httpx.AsyncClient(
        base_url=own_sandbox.url("crm"), headers={"Authorization": f"Bearer {CRM_TOKEN}"}
    )
    valid = {"company_id": SOPHIE, "email": SOPHIE_EMAIL, "purpose": "analytics",
             "granted": "true", "text_version": CURRENT_TEXTS["analytics"]}  # fmt: skip
    before = len(own_sandbox.seed.consents)
    try:
        refusals = [
            await crm.post("/api/v1/consents", data={**valid, **change})
            for change in (
                {"text_version": "v0"}, {"purpose": "telepathy"}, {"granted": "maybe"},
                {"email": "not-an-address"}, {"company_id": "0000999999"},
            )
        ]  # fmt: skip
    finally:
        await crm.aclose()
    assert [r.status_code for r in refusals] == [422, 400, 400, 400, 404]
    assert "outdated_text_version" in refusals[0].json()["error"]["message"]
    assert len(own_sandbox.seed.consents) == before


async def test_roles_without_privacy_requests_are_refused(
    own_sandbox: Sandbox, own_gateway: str, own_tokens: Tokens
) -> None:
    sandra = GraphQLClient(own_gateway, await own_tokens("sandra"))
    try:
        for query, variables in (
            (CONSENTS, None),
            (GRANT, {"input": {"purpose": "ANALYTICS", "textVersion": "v1"}}),
            (REVOKE, {"input": {"purpose": "ANALYTICS"}}),
        ):
            body = (await sandra.post(query, variables)).json()
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    finally:
        await sandra.aclose()


async def usage(client: GraphQLClient, sandbox: Sandbox) -> tuple[int, int]:
    """Today's active users and logins of the client's organization."""
    day = sandbox.seed.now.date().isoformat()
    total = (await client.query(ACTIVE_USERS, {"day": day}))["insights"]["total"]
    return total["activeUsers"], total["logins"]


async def active_users(client: GraphQLClient, sandbox: Sandbox) -> int:
    return (await usage(client, sandbox))[0]


async def test_usage_analytics_honour_the_analytics_consent(
    own_sandbox: Sandbox, client_of: Any
) -> None:
    """Sophie revoked ANALYTICS (seed): once the portal has read her consents, her requests
    are not counted, until she grants it again; revoking stops the counting at once."""
    sophie = await client_of("sophie")
    await sophie.query(CONSENTS)
    await sophie.query("{ invoices { totalCount } }")
    assert await active_users(sophie, own_sandbox) == 0
    granted = await sophie.query(
        GRANT, {"input": {"purpose": "ANALYTICS", "textVersion": CURRENT_TEXTS["analytics"]}}
    )
    assert granted["grantConsent"]["userErrors"] == []
    await sophie.query("{ invoices { totalCount } }")
    assert await active_users(sophie, own_sandbox) == 1

    luc = await client_of("luc")  # grants, then revokes: his next session is not counted
    for mutation, purpose in ((GRANT, "ANALYTICS"), (REVOKE, "ANALYTICS")):
        variables = {"purpose": purpose}
        if mutation == GRANT:
            variables["textVersion"] = CURRENT_TEXTS["analytics"]
        [payload] = (await luc.query(mutation, {"input": variables})).values()
        assert payload["userErrors"] == []
    counted = await usage(luc, own_sandbox)
    assert counted == (1, 1)  # his grant, in his first session
    another_session = GraphQLClient(
        str(luc.http.base_url), await fetch_token(own_sandbox.url("idp"), "luc")
    )
    try:
        await another_session.query("{ invoices { totalCount } }")
    finally:
        await another_session.aclose()
    assert await usage(luc, own_sandbox) == counted
