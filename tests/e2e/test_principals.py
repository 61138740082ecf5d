"""Who may act how: MFA step-up with real TOTP logins, forged second factors, members of
several organizations, integrators' service accounts and provider staff."""

from collections.abc import Awaitable, Callable

import httpx
import pytest

from auth.policy import SERVICE_ACCOUNT_EXTRAS
from sandbox.idp import idp_of
from sandbox.seed import LUMIERE, MUSTER, TICINO
from sandbox.server import Sandbox
from tests.access_fixtures import client
from tests.forged_tokens import claims_of, forged, resigned
from tests.idp_fixtures import fetch_service_token
from tests.stack import GraphQLClient, Tokens, without_sources
from tests.ws_client import Closed, graphql_ws

Client = Callable[..., Awaitable[GraphQLClient]]
NEXT_ACTION = """{ invoices(first: 100) { edges { node { number
    payments { status nextAction { redirectUrl } } } } } }"""


def pending_actions(body: dict[str, object]) -> list[object]:
    edges = body["data"]["invoices"]["edges"]  # type: ignore[index]
    return [p["nextAction"] for e in edges for p in e["node"]["payments"] if p["nextAction"]]


async def test_acting_on_a_payment_needs_the_second_factor(client_for: Client) -> None:
    """Daniel (accounting) without TOTP gets MFA_REQUIRED with a step-up hint on the payment
    that awaits 3-D Secure; with TOTP he gets its redirect URL. (Paying itself,
    `createPaymentSession`, is a mutation of the self-service issue; it declares the same
    `payments:write` requirement and is stepped up the same way.)"""
    without = (await (await client_for("daniel")).post(NEXT_ACTION)).json()
    errors = [e for e in without["errors"] if e["path"][-1] == "nextAction"]
    assert errors
    assert {e["extensions"]["code"] for e in errors} == {"MFA_REQUIRED"}
    assert errors[0]["extensions"]["stepUp"] == {"acrValues": "2", "amr": "otp"}
    assert "second factor" in errors[0]["message"]
    assert not pending_actions(without)

    stepped_up = await (await client_for("daniel", mfa=True)).query(NEXT_ACTION)
    assert [a["redirectUrl"] for a in pending_actions({"data": stepped_up})] == [  # type: ignore[index]
        "https://hooks.stripe.test/3d_secure_2/authenticate/pi_3Muster3ds00001"
    ]


async def test_a_forged_second_factor_is_rejected(
    sandbox: Sandbox, gateway_url: str, tokens: Tokens
) -> None:
    idp = idp_of(sandbox.apps["idp"])
    plain = await tokens("daniel")
    claims = claims_of(plain)
    assert "otp" not in claims.get("amr", [])
    header, _, signature = plain.split(".")
    stepped_claims = resigned(idp, plain, amr=["pwd", "otp"]).split(".")[1]
    tampered = f"{header}.{stepped_claims}.{signature}"  # the payload changed, not the signature
    impostor = forged(idp, resigned(idp, plain, amr=["pwd", "otp"]))  # signed by another key
    async with httpx.AsyncClient(base_url=gateway_url) as http:
        for token in (tampered, impostor):
            response = await http.post(
                "/graphql",
                json={"query": NEXT_ACTION},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 401
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_member_of_two_organizations_switches_between_them(
    gateway_url: str, tokens: Tokens
) -> None:
    token = await tokens("anna")
    query = """{ viewer { memberships { number active organization { legalName } } }
                 organization { number } orders(first: 100) { totalCount } }"""
    default = client(gateway_url, token)
    ticino = client(gateway_url, token, **{"X-Portal-Organization": TICINO})
    try:
        muster_view = await default.query(query)
        ticino_view = await ticino.query(query)
    finally:
        await default.aclose()
        await ticino.aclose()
    assert muster_view["organization"]["number"] == MUSTER
    assert ticino_view["organization"]["number"] == TICINO
    memberships = ticino_view["viewer"]["memberships"]
    assert {m["number"]: m["active"] for m in memberships} == {MUSTER: False, TICINO: True}
    assert all(m["organization"]["legalName"] for m in memberships)
    assert muster_view["orders"]["totalCount"] != ticino_view["orders"]["totalCount"]
    init = {"Authorization": f"Bearer {token}", "X-Portal-Organization": TICINO}
    async with graphql_ws(gateway_url, init) as socket:
        over_ws = await socket.execute("{ organization { number } }")
    assert without_sources(over_ws) == {"data": {"organization": {"number": TICINO}}}


async def test_an_integrator_reads_its_organization_within_its_scopes(
    sandbox: Sandbox, gateway_url: str
) -> None:
    token = await fetch_service_token(sandbox.url("idp"))
    integrator = GraphQLClient(gateway_url, token)
    elsewhere = client(gateway_url, token, **{"X-Portal-Organization": LUMIERE})
    try:
        data = await integrator.query(
            "{ viewer { isServiceAccount permissions memberships { number } }"
            " orders(first: 1) { totalCount } invoices(first: 1) { totalCount } }"
        )
        denied = (await integrator.post("{ tickets { totalCount } quotes { totalCount } }")).json()
        foreign = await elsewhere.post("{ orders { totalCount } }")
    finally:
        await integrator.aclose()
        await elsewhere.aclose()
    viewer = data["viewer"]
    assert viewer["isServiceAccount"] is True
    assert set(viewer["permissions"]) == {"orders:read", "invoices:read", "events:subscribe"} | {
        p.value for p in SERVICE_ACCOUNT_EXTRAS
    }
    assert viewer["memberships"] == [{"number": MUSTER}]
    assert data["orders"]["totalCount"] > 0
    assert denied["data"] == {"tickets": None, "quotes": None}
    assert {e["extensions"]["code"] for e in denied["errors"]} == {"FORBIDDEN"}
    assert foreign.status_code == 403


async def test_staff_act_for_one_chosen_customer_and_cannot_pay(
    gateway_url: str, tokens: Tokens
) -> None:
    token = await tokens("sandra")
    nobody = GraphQLClient(gateway_url, token)
    for_muster = client(gateway_url, token)
    try:
        unchosen = (await nobody.post("{ tickets { totalCount } }")).json()
        chosen = await for_muster.query(
            "{ viewer { isStaff memberships { number active } } tickets { totalCount } }"
        )
        paying = (await for_muster.post(NEXT_ACTION)).json()
    finally:
        await nobody.aclose()
        await for_muster.aclose()
    assert unchosen["data"] == {"tickets": None}
    assert "X-Portal-Organization" in unchosen["errors"][0]["message"]
    assert chosen["viewer"] == {
        "isStaff": True,
        "memberships": [{"number": MUSTER, "active": True}],
    }
    assert chosen["tickets"]["totalCount"] > 0
    codes = {e["extensions"]["code"] for e in paying["errors"] if e["path"][-1] == "nextAction"}
    assert codes == {"FORBIDDEN"}


async def test_a_websocket_without_credentials_runs_nothing(gateway_url: str) -> None:
    """graphql-transport-ws: a `connection_init` without a token is refused with 4403."""
    with pytest.raises(Closed) as closed:
        async with graphql_ws(gateway_url, {}) as socket:
            await socket.execute("{ viewer { user { username } } }")
    assert closed.value.code == 4403
