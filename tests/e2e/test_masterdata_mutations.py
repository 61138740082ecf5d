"""Master data end to end: the organization's profile, invoice channel and addresses (ERP, over
SOAP) and its contact persons (CRM), written through the real gateway into the sandbox and read
back out through queries; the systems' own refusals as user errors, change requests awaiting
the provider's approval, denied roles, another organization's IDs, and writes never retried.
These tests write, so they run on a sandbox of their own."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.seed import MUSTER, TICINO
from sandbox.server import Sandbox
from schema.common import global_id
from tests.stack import GraphQLClient, Tokens, Upstream

ADDRESS = (
    "id type name street houseNumber postalCode city countryCode isDefault changeRequestStatus"
)
CONTACT = "id firstName lastName email phone jobTitle"
PROFILE = (
    "legalName vatId defaultLocale changeRequestStatus invoiceDeliveryChannel ebillRecipientId"
)
ORGANIZATION = (
    f"{{ organization {{ {PROFILE} addresses {{ {ADDRESS} }} contacts {{ {CONTACT} }} }} }}"
)
ERRORS = "userErrors { field code message }"
UPDATE_PROFILE = f"""mutation($input: UpdateOrganizationProfileInput!) {{
  updateOrganizationProfile(input: $input) {{ organization {{ {PROFILE} }} {ERRORS} }} }}"""
SET_CHANNEL = f"""mutation($input: SetInvoiceDeliveryChannelInput!) {{
  setInvoiceDeliveryChannel(input: $input) {{ organization {{ {PROFILE} }} {ERRORS} }} }}"""
CREATE_ADDRESS = f"""mutation($input: CreateAddressInput!) {{
  createAddress(input: $input) {{ address {{ {ADDRESS} }} {ERRORS} }} }}"""
UPDATE_ADDRESS = f"""mutation($input: UpdateAddressInput!) {{
  updateAddress(input: $input) {{ address {{ {ADDRESS} }} {ERRORS} }} }}"""
SET_DEFAULT = f"""mutation($input: SetDefaultAddressInput!) {{
  setDefaultAddress(input: $input) {{ address {{ {ADDRESS} }}
    organization {{ addresses {{ id isDefault }} }} {ERRORS} }} }}"""
DELETE_ADDRESS = f"""mutation($input: DeleteAddressInput!) {{
  deleteAddress(input: $input) {{ deletedAddressId organization {{ addresses {{ id }} }}
    {ERRORS} }} }}"""
CREATE_CONTACT = f"""mutation($input: CreateContactPersonInput!) {{
  createContactPerson(input: $input) {{ contactPerson {{ {CONTACT} }} {ERRORS} }} }}"""
UPDATE_CONTACT = f"""mutation($input: UpdateContactPersonInput!) {{
  updateContactPerson(input: $input) {{ contactPerson {{ {CONTACT} }} {ERRORS} }} }}"""
DELETE_CONTACT = f"""mutation($input: DeleteContactPersonInput!) {{
  deleteContactPerson(input: $input) {{ deletedContactPersonId {ERRORS} }} }}"""
BILLING, SHIPPING = global_id("Address", "erp", "ADR-101"), global_id("Address", "erp", "ADR-102")
WAREHOUSE = {"type": "SHIPPING", "name": "Muster Maschinenbau AG, Lager",
             "street": "Hafenstrasse", "houseNumber": "7", "postalCode": "8400",
             "city": "Winterthur", "countryCode": "CH"}  # fmt: skip
EBILL_ID = "41101000000654321"


@pytest.fixture
async def anna(own_gateway: str, own_tokens: Tokens) -> AsyncIterator[GraphQLClient]:
    """Muster's admin, after her second factor."""
    client = GraphQLClient(own_gateway, await own_tokens("anna", mfa=True))
    yield client
    await client.aclose()


async def organization(client: GraphQLClient) -> dict[str, Any]:
    found: dict[str, Any] = (await client.query(ORGANIZATION))["organization"]
    return found


async def mutate(client: GraphQLClient, mutation: str, **given: Any) -> dict[str, Any]:
    """The payload of a mutation that must not fail at the top level."""
    data = await client.query(mutation, {"input": given})
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


def refusals(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    """The payload's user errors as (field, code); each also says what is wrong."""
    assert all(error["message"] for error in payload["userErrors"])
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


async def decide(sandbox: Sandbox, kind: str, record_id: str, to: str) -> None:
    """The provider approves or rejects a pending change request in the ERP."""
    async with httpx.AsyncClient(timeout=10) as http:
        body = {"object": kind, "id": record_id, "to": to}
        response = await http.post(f"{sandbox.url('erp')}/_advance", json=body)
    assert response.json() == {kind: record_id, "status": to}


async def test_the_language_applies_at_once_a_new_name_and_uid_after_approval(
    anna: GraphQLClient, own_sandbox: Sandbox, own_tokens: Tokens
) -> None:
    before = await organization(anna)  # cached now
    french = await mutate(anna, UPDATE_PROFILE, defaultLocale="fr-CH")
    assert french["userErrors"] == []
    assert french["organization"] | {"defaultLocale": "de-CH"} == {
        key: before[key] for key in french["organization"]
    }
    assert (await organization(anna))["defaultLocale"] == "fr-CH"

    wanted = {"legalName": "Muster Maschinenbau Holding AG", "vatId": "CHE-123.456.788 MWST"}
    requested = (await mutate(anna, UPDATE_PROFILE, **wanted))["organization"]
    assert requested["changeRequestStatus"] == "PENDING_APPROVAL"
    assert (requested["legalName"], requested["vatId"]) == (before["legalName"], before["vatId"])
    assert (await organization(anna))["changeRequestStatus"] == "PENDING_APPROVAL"
    again = await mutate(anna, UPDATE_PROFILE, legalName="Muster AG")
    assert again["organization"] is None
    assert refusals(again) == [(["input"], "CHANGE_REQUEST_PENDING")]

    await decide(own_sandbox, "customer", MUSTER, "APPROVED")
    back = await mutate(anna, UPDATE_PROFILE, defaultLocale="de-CH")  # invalidates the cache
    profile = {key: before[key] for key in back["organization"]}
    assert back["organization"] == profile | wanted | {"changeRequestStatus": "APPLIED"}
    read = await organization(anna)
    assert (read["legalName"], read["changeRequestStatus"]) == (wanted["legalName"], "APPLIED")


async def test_the_erp_refuses_a_bad_profile_and_changes_nothing(anna: GraphQLClient) -> None:
    before = await organization(anna)
    refused = await mutate(anna, UPDATE_PROFILE, vatId="CHE-123", defaultLocale="xx-XX",
                           legalName="")  # fmt: skip
    assert refused["organization"] is None
    assert refusals(refused) == [
        (["input", "legalName"], "REQUIRED"),
        (["input", "vatId"], "INVALID_VAT_ID"),
        (["input", "defaultLocale"], "INVALID_LOCALE"),
    ]
    assert await organization(anna) == before


async def test_invoices_go_by_ebill_only_with_a_recipient_id(anna: GraphQLClient) -> None:
    assert (await organization(anna))["invoiceDeliveryChannel"] == "PORTAL"
    cases = {
        "EBILL_RECIPIENT_REQUIRED": {"channel": "EBILL"},
        "INVALID_EBILL_RECIPIENT_ID": {"channel": "EBILL", "ebillRecipientId": "4110-1234"},
        "EBILL_RECIPIENT_NOT_ALLOWED": {"channel": "PAPER", "ebillRecipientId": EBILL_ID},
    }
    for code, given in cases.items():
        refused = await mutate(anna, SET_CHANNEL, **given)
        assert refusals(refused) == [(["input", "ebillRecipientId"], code)]

    ebill = await mutate(anna, SET_CHANNEL, channel="EBILL", ebillRecipientId=EBILL_ID)
    assert ebill["organization"]["invoiceDeliveryChannel"] == "EBILL"
    read = await organization(anna)
    assert (read["invoiceDeliveryChannel"], read["ebillRecipientId"]) == ("EBILL", EBILL_ID)
    await mutate(anna, SET_CHANNEL, channel="PORTAL")
    read = await organization(anna)
    assert (read["invoiceDeliveryChannel"], read["ebillRecipientId"]) == ("PORTAL", None)


async def test_an_address_is_created_changed_made_default_and_deleted(
    anna: GraphQLClient,
) -> None:
    before = (await organization(anna))["addresses"]
    created = (await mutate(anna, CREATE_ADDRESS, **WAREHOUSE))["address"]
    assert {key: created[key] for key in WAREHOUSE} == WAREHOUSE
    assert (created["isDefault"], created["changeRequestStatus"]) == (False, "APPLIED")
    assert (await organization(anna))["addresses"] == [*before, created]

    moved = await mutate(anna, UPDATE_ADDRESS, addressId=created["id"], postalCode="8404",
                         houseNumber="")  # fmt: skip
    assert moved["address"] == created | {"postalCode": "8404", "houseNumber": ""}
    default = await mutate(anna, SET_DEFAULT, addressId=created["id"])
    assert default["address"]["isDefault"] is True
    defaults = {a["id"]: a["isDefault"] for a in default["organization"]["addresses"]}
    assert (defaults[created["id"]], defaults[SHIPPING]) == (True, False)
    refused = await mutate(anna, DELETE_ADDRESS, addressId=created["id"])
    assert refusals(refused) == [(["input", "addressId"], "DEFAULT_ADDRESS")]

    await mutate(anna, SET_DEFAULT, addressId=SHIPPING)
    deleted = await mutate(anna, DELETE_ADDRESS, addressId=created["id"])
    assert deleted["deletedAddressId"] == created["id"]
    assert created["id"] not in [a["id"] for a in deleted["organization"]["addresses"]]
    assert (await organization(anna))["addresses"] == before


async def test_the_first_address_of_a_type_is_its_default(anna: GraphQLClient) -> None:
    postal = {**WAREHOUSE, "type": "POSTAL", "name": "Postfach", "houseNumber": None}
    created = (await mutate(anna, CREATE_ADDRESS, **postal))["address"]
    assert (created["type"], created["isDefault"], created["houseNumber"]) == ("POSTAL", True, "")
    refused = await mutate(anna, DELETE_ADDRESS, addressId=created["id"])
    assert refusals(refused) == [(["input", "addressId"], "DEFAULT_ADDRESS")]


async def test_a_billing_address_change_awaits_approval(
    anna: GraphQLClient, own_sandbox: Sandbox
) -> None:
    billing = next(a for a in (await organization(anna))["addresses"] if a["id"] == BILLING)
    pending = (await mutate(anna, UPDATE_ADDRESS, addressId=BILLING, street="Technikumstrasse",
                            houseNumber="9"))["address"]  # fmt: skip
    assert pending == billing | {"changeRequestStatus": "PENDING_APPROVAL"}
    again = await mutate(anna, UPDATE_ADDRESS, addressId=BILLING, city="Zürich")
    assert refusals(again) == [(["input"], "CHANGE_REQUEST_PENDING")]
    last = await mutate(anna, DELETE_ADDRESS, addressId=BILLING)
    assert refusals(last) == [(["input", "addressId"], "LAST_BILLING_ADDRESS")]

    await decide(own_sandbox, "address", "ADR-101", "REJECTED")
    retried = await mutate(anna, UPDATE_ADDRESS, addressId=BILLING, houseNumber="12a")
    assert retried["address"]["changeRequestStatus"] == "PENDING_APPROVAL"
    await decide(own_sandbox, "address", "ADR-101", "APPROVED")
    same = (await mutate(anna, UPDATE_ADDRESS, addressId=BILLING, houseNumber="12a"))["address"]
    assert same == billing | {"houseNumber": "12a"}  # applied; nothing new to approve


async def test_the_erp_refuses_a_bad_address_and_changes_nothing(anna: GraphQLClient) -> None:
    before = (await organization(anna))["addresses"]
    bad = {**WAREHOUSE, "name": " ", "postalCode": "84000", "city": "W" * 36}
    refused = await mutate(anna, CREATE_ADDRESS, **bad)
    assert refused["address"] is None
    assert refusals(refused) == [
        (["input", "name"], "REQUIRED"),
        (["input", "city"], "TOO_LONG"),
        (["input", "postalCode"], "INVALID_POSTAL_CODE"),
    ]
    nowhere = await mutate(anna, UPDATE_ADDRESS, addressId=SHIPPING, countryCode="XX")
    assert refusals(nowhere) == [(["input", "countryCode"], "INVALID_COUNTRY_CODE")]
    german = await mutate(anna, UPDATE_ADDRESS, addressId=SHIPPING, countryCode="DE")
    assert refusals(german) == [(["input", "postalCode"], "INVALID_POSTAL_CODE")]
    assert (await organization(anna))["addresses"] == before


async def test_a_contact_person_is_created_changed_and_deleted(anna: GraphQLClient) -> None:
    before = (await organization(anna))["contacts"]
    lea = {"firstName": "Lea", "lastName": "Brunner", "email": "lea.brunner@muster.ch",
           "phone": "+41 52 260 10 09", "jobTitle": "Einkauf"}  # fmt: skip
    created = (await mutate(anna, CREATE_CONTACT, **lea))["contactPerson"]
    assert created == {"id": created["id"], **lea}
    assert (await organization(anna))["contacts"] == [*before, created]

    changed = await mutate(anna, UPDATE_CONTACT, contactId=created["id"], email="lea@muster.ch",
                           jobTitle="")  # fmt: skip
    assert changed["contactPerson"] == created | {"email": "lea@muster.ch", "jobTitle": None}
    taken = await mutate(anna, UPDATE_CONTACT, contactId=created["id"], email=before[0]["email"])
    assert refusals(taken) == [(["input", "email"], "EMAIL_TAKEN")]
    invalid = await mutate(anna, CREATE_CONTACT, **lea | {"firstName": "", "email": "lea@",
                                                          "phone": "call me"})  # fmt: skip
    assert refusals(invalid) == [
        (["input", "firstName"], "REQUIRED"),
        (["input", "email"], "INVALID_EMAIL"),
        (["input", "phone"], "INVALID_PHONE"),
    ]
    assert (await organization(anna))["contacts"] == [*before, changed["contactPerson"]]

    deleted = await mutate(anna, DELETE_CONTACT, contactId=created["id"])
    assert deleted == {"deletedContactPersonId": created["id"], "userErrors": []}
    assert (await organization(anna))["contacts"] == before


MUTATIONS = {
    UPDATE_PROFILE: {"defaultLocale": "it-CH"},
    SET_CHANNEL: {"channel": "PAPER"},
    CREATE_ADDRESS: WAREHOUSE,
    UPDATE_ADDRESS: {"addressId": SHIPPING, "city": "Zürich"},
    SET_DEFAULT: {"addressId": SHIPPING},
    DELETE_ADDRESS: {"addressId": SHIPPING},
    CREATE_CONTACT: {"firstName": "Eva", "lastName": "Graf", "email": "eva@muster.ch"},
    UPDATE_CONTACT: {"contactId": global_id("ContactPerson", "crm", "CT-1001"), "phone": ""},
    DELETE_CONTACT: {"contactId": global_id("ContactPerson", "crm", "CT-1001")},
}


async def test_only_an_admin_with_a_second_factor_writes_master_data(
    own_gateway: str, own_tokens: Tokens, anna: GraphQLClient, own_sandbox: Sandbox
) -> None:
    before = await organization(anna)
    upstream = Upstream(own_sandbox)
    upstream.reset()
    callers = (("beat", False, "FORBIDDEN"), ("carla", False, "FORBIDDEN"),
               ("daniel", True, "FORBIDDEN"), ("anna", False, "MFA_REQUIRED"))  # fmt: skip
    for user, mfa, code in callers:
        client = GraphQLClient(own_gateway, await own_tokens(user, mfa=mfa))
        for mutation, given in MUTATIONS.items():
            body = (await client.post(mutation, {"input": given})).json()
            assert body["data"] is None, (user, mutation)
            assert body["errors"][0]["extensions"]["code"] == code, (user, mutation)
        await client.aclose()
    assert not any(upstream.counts(system) for system in ("erp", "crm"))  # nothing was sent
    assert await organization(anna) == before


async def test_another_organizations_ids_are_not_found(
    own_gateway: str, own_tokens: Tokens, anna: GraphQLClient
) -> None:
    before = await organization(anna)
    ticino = GraphQLClient(own_gateway, await own_tokens("anna", mfa=True))
    ticino.http.headers["X-Portal-Organization"] = TICINO
    foreign = {"addressId": SHIPPING, "contactId": global_id("ContactPerson", "crm", "CT-1001")}
    unknown = {"addressId": global_id("Address", "erp", "ADR-999"),
               "contactId": global_id("ContactPerson", "crm", "CT-9999")}  # fmt: skip
    wrong_type = {"addressId": foreign["contactId"], "contactId": foreign["addressId"]}
    for mutation, field in ((UPDATE_ADDRESS, "addressId"), (SET_DEFAULT, "addressId"),
                            (DELETE_ADDRESS, "addressId"), (UPDATE_CONTACT, "contactId"),
                            (DELETE_CONTACT, "contactId")):  # fmt: skip
        answers = [
            await mutate(ticino, mutation, **{field: ids[field]})
            for ids in (foreign, unknown, wrong_type)
        ]
        assert answers[0] == answers[1] == answers[2], mutation
        assert [(e["field"], e["code"]) for e in answers[0]["userErrors"]] == [
            (["input", field], "NOT_FOUND")
        ]
    await ticino.aclose()
    assert await organization(anna) == before


async def test_a_write_is_sent_once_and_an_outage_is_a_top_level_error(
    anna: GraphQLClient, own_sandbox: Sandbox
) -> None:
    before = await organization(anna)
    upstream = Upstream(own_sandbox)
    upstream.reset()
    upstream.fault("erp", mode="down", operations=["CreateAddress"])
    upstream.fault("crm", mode="down", operations=["POST /api/v1/contacts"])
    try:
        for mutation, system in ((CREATE_ADDRESS, "erp"), (CREATE_CONTACT, "crm")):
            body = (await anna.post(mutation, {"input": MUTATIONS[mutation]})).json()
            assert body["data"] is None
            [error] = body["errors"]
            assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
            assert error["extensions"]["system"] == system
    finally:
        upstream.fault("erp", mode="ok")
        upstream.fault("crm", mode="ok")
    assert upstream.counts("erp")["CreateAddress"] == 1
    assert upstream.counts("crm")["POST /api/v1/contacts"] == 1
    assert await organization(anna) == before
