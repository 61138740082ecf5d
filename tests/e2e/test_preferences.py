"""Preferences end to end: `viewer.preferences`, `updatePreferences`, `saveView`, `deleteView`
and `pinDocument` through the real gateway into the sandbox identity provider's user
attributes (admin API) and back out through queries; they survive a restarted gateway, belong
to one user each, drive the status labels of the tokens issued after a change, and the
identity provider refuses what its user profile does not allow. These tests write, so they
run on a sandbox of their own."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError

from sandbox.idp.app import idp_of
from sandbox.idp.profile import UserProfile
from sandbox.seed import LUMIERE, MUSTER, TICINO
from sandbox.server import Sandbox
from schema.common import global_id
from tests.access_fixtures import keycloak_admin
from tests.idp_fixtures import fetch_service_token, fetch_token
from tests.stack import GraphQLClient, Tokens, running_gateway

PREFERENCES = """{ viewer { preferences {
  locale timezone notifications { event channel } dashboardWidgets
  savedViews { name filter { types statuses search updatedSince overdue } }
  pinnedDocuments { id title } } } }"""
UPDATE = """mutation($input: UpdatePreferencesInput!) { updatePreferences(input: $input) {
  preferences { locale timezone notifications { event channel } dashboardWidgets }
  userErrors { field code message } } }"""
SAVE = """mutation($input: SaveViewInput!) { saveView(input: $input) {
  view { name filter { types statuses search overdue } }
  preferences { savedViews { name } } userErrors { field code message } } }"""
DELETE = """mutation($input: DeleteViewInput!) { deleteView(input: $input) {
  preferences { savedViews { name } } userErrors { field code message } } }"""
PIN = """mutation($input: PinDocumentInput!) { pinDocument(input: $input) {
  document { id } preferences { pinnedDocuments { id } } userErrors { field code message } } }"""
DOCUMENTS = "{ documents(first: 100) { edges { node { id title } } } }"
LABELS = "{ cases(first: 100, filter: {types: [INVOICE]}) { edges { node { statusLabel } } } }"


Clients = Callable[..., Awaitable[GraphQLClient]]


@pytest.fixture
async def clients(own_gateway: str, own_tokens: Tokens) -> AsyncIterator[Clients]:
    """`await clients("jonas")`: a client of the module's gateway, closed after the test."""
    made: list[GraphQLClient] = []

    async def make(user: str, **headers: str) -> GraphQLClient:
        made.append(GraphQLClient(own_gateway, await own_tokens(user)))
        made[-1].http.headers.update(headers)
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def anna(clients: Clients) -> GraphQLClient:
    return await clients("anna")


async def stored_attributes(sandbox: Sandbox, username: str) -> dict[str, list[str]]:
    """The user's attributes as the identity provider's admin API answers them."""
    async with keycloak_admin(sandbox.url("idp")) as admin:
        user = await admin.a_get_user(await user_id_of(admin, username))
    attributes: dict[str, list[str]] = user.get("attributes", {})
    return attributes


async def user_id_of(admin: KeycloakAdmin, username: str) -> str:
    found = await admin.a_get_user_id(username)
    assert found is not None
    return found


def preferences_of(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = data["viewer"]["preferences"]
    return found


async def test_update_is_kept_by_the_identity_provider_for_that_user_only(
    own_sandbox: Sandbox, own_tokens: Tokens
) -> None:
    beat_before = await stored_attributes(own_sandbox, "beat")
    changes = {
        "locale": "it-CH",
        "timezone": "America/New_York",
        "notifications": [
            {"event": "ORDER_STATUS", "channel": "EMAIL"},
            {"event": "TICKET_UPDATE", "channel": "SMS"},
        ],
        "dashboardWidgets": ["OPEN_INVOICES", "ORDERS", "PINNED_DOCUMENTS"],
    }
    with running_gateway(own_sandbox) as first:
        carla = GraphQLClient(first, await own_tokens("carla"))
        before = preferences_of(await carla.query(PREFERENCES))
        assert before["timezone"] == "Europe/Zurich"
        assert {n["channel"] for n in before["notifications"]} == {"IN_APP"}
        result = (await carla.query(UPDATE, {"input": changes}))["updatePreferences"]
        assert result["userErrors"] == []
        assert result["preferences"]["locale"] == "it-CH"
        assert preferences_of(await carla.query(PREFERENCES))["timezone"] == "America/New_York"
        await carla.aclose()
    with running_gateway(own_sandbox) as restarted:  # nothing was kept by the gateway
        carla = GraphQLClient(restarted, await own_tokens("carla"))
        after = preferences_of(await carla.query(PREFERENCES))
        await carla.aclose()
        beat = GraphQLClient(restarted, await own_tokens("beat"))
        beats = preferences_of(await beat.query(PREFERENCES))
        await beat.aclose()
    assert after["locale"] == "it-CH"
    assert after["timezone"] == "America/New_York"
    assert after["dashboardWidgets"] == ["OPEN_INVOICES", "ORDERS", "PINNED_DOCUMENTS"]
    channels = {n["event"]: n["channel"] for n in after["notifications"]}
    assert channels["ORDER_STATUS"] == "EMAIL"
    assert channels["TICKET_UPDATE"] == "SMS"
    assert channels["INVOICE_DUE"] == "IN_APP"
    stored = await stored_attributes(own_sandbox, "carla")
    assert stored["zoneinfo"] == ["America/New_York"]
    assert stored["portal_dashboard"] == ["OPEN_INVOICES,ORDERS,PINNED_DOCUMENTS"]
    assert stored["customer_id"] == [MUSTER]  # the other attributes are kept
    assert beats["timezone"] == "Europe/Zurich"
    assert beats["locale"] == "de-CH"
    assert await stored_attributes(own_sandbox, "beat") == beat_before


async def test_the_locale_drives_the_status_labels_of_new_tokens(
    own_gateway: str, own_sandbox: Sandbox
) -> None:
    idp = own_sandbox.url("idp")

    async def labels(token: str, **headers: str) -> set[str]:
        client = GraphQLClient(own_gateway, token)
        body = (await client.post(LABELS, None, **headers)).json()
        await client.aclose()
        return {edge["node"]["statusLabel"] for edge in body["data"]["cases"]["edges"]}

    before = await fetch_token(idp, "daniel")
    assert "Bezahlt" in await labels(before)
    daniel = GraphQLClient(own_gateway, before)
    result = await daniel.query(UPDATE, {"input": {"locale": "fr-CH"}})
    await daniel.aclose()
    assert result["updatePreferences"]["preferences"]["locale"] == "fr-CH"
    refreshed = await fetch_token(idp, "daniel")  # as a client refreshes its token
    french = await labels(refreshed)
    assert "Payée" in french
    assert "Bezahlt" not in french
    assert "Bezahlt" in await labels(refreshed, **{"Accept-Language": "de-CH"})


async def test_refused_preferences_are_user_errors_and_change_nothing(
    anna: GraphQLClient, own_sandbox: Sandbox
) -> None:
    before = await stored_attributes(own_sandbox, "anna")
    cases: dict[str, tuple[dict[str, Any], list[str]]] = {
        "INVALID": ({"locale": "tlh"}, ["input", "locale"]),
        "DUPLICATE": (
            {"notifications": [{"event": "MESSAGE", "channel": "SMS"},
                               {"event": "MESSAGE", "channel": "EMAIL"}]},
            ["input", "notifications", "1"],
        ),
        "REQUIRED": ({"dashboardWidgets": []}, ["input", "dashboardWidgets"]),
    }  # fmt: skip
    for code, (changes, field) in cases.items():
        result = (await anna.query(UPDATE, {"input": changes}))["updatePreferences"]
        assert result["preferences"] is None
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    for zone in ("Mars/Olympus", "../../etc/passwd", "Europe/" + "Z" * 80):
        result = (await anna.query(UPDATE, {"input": {"timezone": zone}}))["updatePreferences"]
        assert [e["field"] for e in result["userErrors"]] == [["input", "timezone"]]
    twice = {"dashboardWidgets": ["ORDERS", "ORDERS"], "timezone": "Nowhere/Else"}
    result = (await anna.query(UPDATE, {"input": twice}))["updatePreferences"]
    assert {e["code"] for e in result["userErrors"]} == {"DUPLICATE", "INVALID"}
    assert all(e["message"] for e in result["userErrors"])
    assert await stored_attributes(own_sandbox, "anna") == before


async def test_saved_views_are_saved_replaced_applied_and_deleted(clients: Clients) -> None:
    jonas = await clients("jonas")
    overdue = {"types": ["INVOICE", "ORDER"], "statuses": ["ON_HOLD", "OPEN"], "overdue": False}
    saved = await jonas.query(SAVE, {"input": {"name": " Überfällig ", "filter": overdue}})
    assert saved["saveView"] == {
        "view": {"name": "Überfällig", "filter": {**overdue, "search": None}},
        "preferences": {"savedViews": [{"name": "Überfällig"}]},
        "userErrors": [],
    }
    views = preferences_of(await jonas.query(PREFERENCES))["savedViews"]
    assert views == [{"name": "Überfällig", "filter": {**overdue, "search": None,
                                                       "updatedSince": None}}]  # fmt: skip
    applied = {k: v for k, v in views[0]["filter"].items() if v is not None}
    body = await jonas.query(
        "query($f: CaseFilterInput) { cases(filter: $f) { edges { node { caseType } } } }",
        {"f": applied},
    )
    assert {e["node"]["caseType"] for e in body["cases"]["edges"]} == {"INVOICE", "ORDER"}
    replaced = await jonas.query(
        SAVE, {"input": {"name": "überfällig", "filter": {"search": "SO-2026"}}}
    )
    assert replaced["saveView"]["preferences"]["savedViews"] == [{"name": "überfällig"}]
    deleted = await jonas.query(DELETE, {"input": {"name": "ÜBERFÄLLIG"}})
    assert deleted["deleteView"] == {"preferences": {"savedViews": []}, "userErrors": []}
    again = (await jonas.query(DELETE, {"input": {"name": "Überfällig"}}))["deleteView"]
    assert [e["code"] for e in again["userErrors"]] == ["NOT_FOUND"]


async def test_saved_views_have_limits(clients: Clients, own_sandbox: Sandbox) -> None:
    marco = await clients("marco")
    refused = {
        "INVALID": {"name": " ", "filter": {}},
        "TOO_LONG": {"name": "Lang", "filter": {"search": "x" * 1000}},
    }
    for code, view in refused.items():
        result = (await marco.query(SAVE, {"input": view}))["saveView"]
        assert [e["code"] for e in result["userErrors"]] == [code]
    for n in range(20):
        result = await marco.query(SAVE, {"input": {"name": f"View {n}", "filter": {}}})
        assert result["saveView"]["userErrors"] == []
    full = (await marco.query(SAVE, {"input": {"name": "One more", "filter": {}}}))["saveView"]
    assert [(e["code"], e["field"]) for e in full["userErrors"]] == [
        ("LIMIT_REACHED", ["input", "name"])
    ]
    replacing = await marco.query(SAVE, {"input": {"name": "view 3", "filter": {"overdue": True}}})
    assert replacing["saveView"]["userErrors"] == []  # replacing one is no new view
    assert len((await stored_attributes(own_sandbox, "marco"))["portal_views"]) == 20


async def test_pinned_documents_belong_to_the_active_organization(
    anna: GraphQLClient, clients: Clients
) -> None:
    documents = [e["node"] for e in (await anna.query(DOCUMENTS))["documents"]["edges"]]
    seeded = next(d for d in documents if d["title"] == "Zeichnung Halterung H-12")
    assert preferences_of(await anna.query(PREFERENCES))["pinnedDocuments"] == [seeded]
    document = next(d for d in documents if d != seeded)
    pinned = (await anna.query(PIN, {"input": {"documentId": document["id"]}}))["pinDocument"]
    assert pinned == {
        "document": {"id": document["id"]},
        "preferences": {"pinnedDocuments": [{"id": seeded["id"]}, {"id": document["id"]}]},
        "userErrors": [],
    }
    again = (await anna.query(PIN, {"input": {"documentId": document["id"]}}))["pinDocument"]
    assert len(again["preferences"]["pinnedDocuments"]) == 2  # pinned once
    listed = preferences_of(await anna.query(PREFERENCES))["pinnedDocuments"]
    assert listed == [seeded, document]
    in_ticino = await clients("anna", **{"X-Portal-Organization": TICINO})
    assert preferences_of(await in_ticino.query(PREFERENCES))["pinnedDocuments"] == []
    unpinned = await anna.query(PIN, {"input": {"documentId": document["id"], "pinned": False}})
    assert unpinned["pinDocument"]["preferences"] == {"pinnedDocuments": [{"id": seeded["id"]}]}


async def test_another_organizations_document_is_not_found(
    anna: GraphQLClient, clients: Clients
) -> None:
    luc = await clients("luc")
    theirs = (await luc.query(DOCUMENTS))["documents"]["edges"][0]["node"]["id"]
    unknown = global_id("Document", "dms", "DOC-NOPE")
    answers = []
    for document_id in (theirs, unknown, "bm9uZQ"):
        for pinned in (True, False):
            variables = {"input": {"documentId": document_id, "pinned": pinned}}
            answers.append((await anna.query(PIN, variables))["pinDocument"])
    assert all(a == answers[0] for a in answers)
    assert answers[0]["userErrors"] == [
        {
            "field": ["input", "documentId"],
            "code": "NOT_FOUND",
            "message": "No document has this ID.",
        }
    ]
    assert LUMIERE not in str(answers)


async def test_an_integrator_has_no_preferences(own_gateway: str, own_sandbox: Sandbox) -> None:
    integrator = GraphQLClient(own_gateway, await fetch_service_token(own_sandbox.url("idp")))
    body = (await integrator.post(PREFERENCES)).json()
    assert body["data"]["viewer"]["preferences"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for mutation, variables in (
        (UPDATE, {"input": {"locale": "en"}}),
        (SAVE, {"input": {"name": "x", "filter": {}}}),
        (DELETE, {"input": {"name": "x"}}),
        (PIN, {"input": {"documentId": "bm9uZQ"}}),
    ):
        body = (await integrator.post(mutation, variables)).json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await integrator.aclose()


async def test_the_identity_provider_refuses_what_its_user_profile_does_not_allow(
    own_sandbox: Sandbox,
) -> None:
    """Whoever writes the attributes (the admin console, another client), Keycloak's user
    profile holds the limits the gateway checks first."""
    async with keycloak_admin(own_sandbox.url("idp")) as admin:
        user_id = await user_id_of(admin, "mia")
        user = await admin.a_get_user(user_id)
        refused = {
            "error-invalid-multivalued-size": {"portal_views": [f'{{"n":{n}}}' for n in range(21)]},
            "time zone: an IANA name such as Europe/Zurich": {"zoneinfo": ["no zone!"]},
            "error-invalid-length": {"portal_views": ["x" * 1001]},
            "pin: customer number:document ID": {"portal_pins": ["DOC-1"]},
        }
        for key, attributes in refused.items():
            representation = {**user, "attributes": {**user["attributes"], **attributes}}
            with pytest.raises(KeycloakError) as error:
                await admin.a_update_user(user_id, representation)
            assert error.value.response_code == 400
            assert key in str(error.value.response_body), key
        assert (await admin.a_get_user(user_id))["attributes"] == user["attributes"]


async def test_a_stricter_identity_provider_refuses_with_its_own_reasons(
    clients: Clients, own_sandbox: Sandbox
) -> None:
    """An operator may give Keycloak's user profile tighter limits than the gateway's: its
    refusal comes back as a user error at the input concerned, and nothing changes."""
    realm = idp_of(own_sandbox.apps["idp"]).realm
    original = realm.user_profile
    realm.user_profile = UserProfile(tuple(
        replace(a, validations={**a.validations, "multivalued": {"max": 1}})
        if a.name == "portal_views" else a
        for a in original.attributes
    ))  # fmt: skip
    try:
        mia = await clients("mia")
        first = await mia.query(SAVE, {"input": {"name": "Eins", "filter": {}}})
        assert first["saveView"]["userErrors"] == []
        second = (await mia.query(SAVE, {"input": {"name": "Zwei", "filter": {}}}))["saveView"]
        assert second["userErrors"] == [
            {
                "field": ["input", "name"],
                "code": "INVALID",
                "message": "There are too many of these.",
            }
        ]
        views = preferences_of(await mia.query(PREFERENCES))["savedViews"]
        assert [view["name"] for view in views] == ["Eins"]
    finally:
        realm.user_profile = original
