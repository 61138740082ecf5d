"""Personal recommendations end to end: products the organization orders often and invoices
due this week, computed from the sandbox ERP's records, only for a viewer whose
PERSONALIZATION consent is in force in the sandbox CRM, each from what their roles may read,
in their language. Consents are written here, so the tests run on a sandbox of their own."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.stack import SANDBOX_NOW, GraphQLClient, Tokens

RECOMMENDATIONS = """{ viewer { recommendations { kind title message
  ... on ReorderRecommendation { productCode description timesOrdered lastOrder { id number } }
  ... on InvoicesDueRecommendation { invoices { number dueDate status } totals { amount } }
} } }"""
GRANT = """mutation { grantConsent(input: {purpose: PERSONALIZATION, textVersion: "v1"}) {
  userErrors { code } } }"""
REVOKE = """mutation { revokeConsent(input: {purpose: PERSONALIZATION}) { userErrors { code } } }"""
TODAY = date.fromisoformat(SANDBOX_NOW[:10])


@pytest.fixture
async def clients(own_gateway: str, own_tokens: Tokens) -> AsyncIterator[Any]:
    made: list[GraphQLClient] = []

    async def make(user: str) -> GraphQLClient:
        made.append(GraphQLClient(own_gateway, await own_tokens(user)))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


async def recommendations(client: GraphQLClient, **headers: str) -> list[dict[str, Any]]:
    response = await client.post(RECOMMENDATIONS, None, **headers)
    body = response.json()
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["viewer"]["recommendations"]
    return found


async def test_a_consenting_admin_gets_reorders_and_invoices_due(clients: Any) -> None:
    anna = await clients("anna")  # PERSONALIZATION granted in the seed
    found = await recommendations(anna)
    reorders = [r for r in found if r["kind"] == "REORDER"]
    assert [r["productCode"] for r in reorders][:1] == ["DR-08"]  # in most recent orders
    assert all(r["timesOrdered"] >= 2 for r in reorders)
    assert reorders[0]["lastOrder"]["number"] == "SO-2026-0003"  # the latest with it
    assert reorders[0]["title"] == "Wieder bestellen"
    assert "Dichtungsring DR-08" in reorders[0]["message"]
    [due] = [r for r in found if r["kind"] == "INVOICES_DUE"]
    assert due["invoices"]
    for invoice in due["invoices"]:
        assert TODAY <= date.fromisoformat(invoice["dueDate"]) < TODAY + timedelta(days=7)
        assert invoice["status"] in {"OPEN", "PARTIALLY_PAID"}
    assert due["title"] == "Diese Woche fällig"
    french = await recommendations(anna, **{"Accept-Language": "fr-CH"})
    assert [r["title"] for r in french][:1] == ["Commander à nouveau"]


async def test_only_with_the_consent_in_force(clients: Any) -> None:
    anna = await clients("anna")
    assert await recommendations(anna)
    assert (await anna.query(REVOKE))["revokeConsent"]["userErrors"] == []
    assert await recommendations(anna) == []  # at once: the consents were re-read
    assert (await anna.query(GRANT))["grantConsent"]["userErrors"] == []
    assert await recommendations(anna)


async def test_each_role_gets_what_it_may_read(clients: Any) -> None:
    beat, daniel = await clients("beat"), await clients("daniel")
    assert await recommendations(beat) == []  # no consent yet
    assert await recommendations(daniel) == []
    for client in (beat, daniel):
        assert (await client.query(GRANT))["grantConsent"]["userErrors"] == []
    assert {r["kind"] for r in await recommendations(beat)} == {"REORDER"}  # purchasing
    assert {r["kind"] for r in await recommendations(daniel)} == {"INVOICES_DUE"}  # accounting
