"""Privacy requests end to end: `requestDataExport` and `requestErasure` through the real
gateway (its cache and event stream in Redis) into the sandbox's four systems and identity
provider and back out through `privacyRequests`, the signed download and the subscription;
the export checked record by record against the sandbox's own data, the erasure against what
the sandbox and the graph still show; user errors, denied roles, another person's requests.
These tests write (the last one erases Sophie), so they run on a sandbox of their own."""

import base64
import io
import json
import zipfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from keycloak.exceptions import KeycloakError
from redis.asyncio import Redis as AsyncRedis

from sandbox.model import Seed
from sandbox.seed import NORDLICHT, SOPHIE
from sandbox.server import CRM_TOKEN, Sandbox
from schema.common import GlobalId
from tests.idp_fixtures import fetch_service_token, fetch_token
from tests.redis_server import delete_prefix, new_prefix
from tests.stack import GraphQLClient, Tokens, Upstream, nodes, running_gateway
from tests.waiting import wait_until
from tests.ws_client import ws_client

REQUESTS = """{ privacyRequests { id type status scope completedAt expiresAt
  systems { system status }
  legalHolds { system recordType externalId recordId reason retainUntil }
  json: downloadUrl zip: downloadUrl(format: ZIP) } }"""
EXPORT = """mutation($input: RequestDataExportInput!) { requestDataExport(input: $input) {
  privacyRequest { id type status scope } userErrors { field code message } } }"""
ERASE = """mutation($input: RequestErasureInput!) { requestErasure(input: $input) {
  privacyRequest { id type status scope } userErrors { field code message } } }"""
PRIVACY_REQUEST = "/api/v1/privacy_requests/{request_id}"
NODE = "query($id: ID!) { node(id: $id) { id } }"
UPDATES = "subscription { privacyRequestUpdated { id status systems { system status } } }"
SOPHIE_EMAIL = "sophie.rossi@example.ch"
EVERYTHING = ["PROFILE", "SALES", "INVOICES", "PAYMENTS", "SUPPORT", "DOCUMENTS", "CONSENTS",
              "ACCOUNT"]  # fmt: skip
FINISHED = {"COMPLETED", "PARTIALLY_COMPLETED", "REJECTED"}
CASE_KINDS = {"ticket": "TICKET", "order": "ORDER", "invoice": "INVOICE", "quote": "QUOTE",
              "booking": "BOOKING"}  # fmt: skip
DEADLINE_S = 20.0


@pytest.fixture(scope="module")
def gateway(own_sandbox: Sandbox, redis_url: str) -> Iterator[tuple[str, str]]:
    """The gateway and its Redis key prefix."""
    prefix = new_prefix()
    try:
        with running_gateway(own_sandbox, redis_url=redis_url, cache_prefix=prefix) as url:
            yield url, prefix
    finally:
        delete_prefix(redis_url, prefix)


@pytest.fixture
async def client_of(gateway: tuple[str, str], own_tokens: Tokens) -> AsyncIterator[Any]:
    clients: list[GraphQLClient] = []

    async def make(username: str, mfa: bool = False) -> GraphQLClient:
        client = GraphQLClient(gateway[0], await own_tokens(username, mfa=mfa))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def external(node_id: str, type_name: str) -> str:
    parts = GlobalId.decode(node_id)
    assert parts is not None
    assert parts.type_name == type_name
    return parts.external_id


def crm_id(node_id: str) -> str:
    return external(node_id, "PrivacyRequest")


def subject_of(token: str) -> str:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return str(claims["sub"])


async def finished(client: GraphQLClient, node_id: str) -> dict[str, Any]:
    """The request once its job is done (bounded wait)."""
    found: dict[str, Any] = {}

    async def done() -> bool:
        requests = (await client.query(REQUESTS))["privacyRequests"]
        found.update(next(r for r in requests if r["id"] == node_id))
        return found["status"] in FINISHED

    await wait_until(done, DEADLINE_S)
    return found


def expected_records(seed: Seed, user_id: str) -> dict[str, set[tuple[str, str]]]:
    """What the sandbox holds about Sophie, system by system, from its own data."""
    orders = [o for o in seed.orders if o.customer == SOPHIE]
    quotes = [q for q in seed.quotes if q.customer == SOPHIE]
    invoices = [i for i in seed.invoices if i.customer == SOPHIE]
    bookings = [b for b in seed.bookings if b.customer == SOPHIE]
    tickets = [t for t in seed.tickets if t.customer == SOPHIE]
    subjects = {("ticket", t.id) for t in tickets} | {("order", o.id) for o in orders}
    subjects |= {("invoice", i.id) for i in invoices} | {("quote", q.id) for q in quotes}
    subjects |= {("booking", b.id) for b in bookings}
    documents = [d for d in seed.documents if d.customer == SOPHIE and not d.deleted]
    intents = [i for i in seed.payment_intents if i.customer == SOPHIE]
    return {
        "erp": {("CUSTOMER", c.number) for c in seed.customers if c.number == SOPHIE}
        | {("ADDRESS", a.id) for a in seed.addresses if a.customer == SOPHIE}
        | {("QUOTE", q.id) for q in quotes}
        | {("QUOTE_LINE", f"{q.id}/{line.position}") for q in quotes for line in q.lines}
        | {("ORDER", o.id) for o in orders}
        | {("ORDER_LINE", f"{o.id}/{line.position}") for o in orders for line in o.lines}
        | {("DELIVERY", d.id) for d in seed.deliveries if d.customer == SOPHIE}
        | {("INVOICE", i.id) for i in invoices}
        | {("BOOKING", b.id) for b in bookings},
        "crm": {("CONTACT", c.id) for c in seed.contacts if c.customer == SOPHIE}
        | {("CONSENT", c.id) for c in seed.consents if c.company_id == SOPHIE}
        | {("TICKET", t.id) for t in tickets}
        | {
            ("MESSAGE", c.id)
            for c in seed.comments
            if (c.subject_type, c.subject_id) in subjects and not c.internal
        }
        | {
            ("READ_STATE", f"{s.subject_type}:{s.subject_id}")
            for s in seed.read_states
            if s.user_id == user_id
        }
        | {
            ("PRIVACY_REQUEST", r.id)
            for r in seed.privacy_requests
            if r.company_id == SOPHIE and r.email == SOPHIE_EMAIL
        },
        "dms": {("DOCUMENT", d.id) for d in documents}
        | {("DOCUMENT_VERSION", v.id) for d in documents for v in d.versions},
        "payments": {("PAYMENT", i.id) for i in intents}
        | {("REFUND", r.id) for r in seed.refunds if r.payment_intent in {i.id for i in intents}},
        "idp": {("ACCOUNT", user_id)},
    }


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)


def others_of(seed: Seed) -> set[str]:
    """Identifiers of everyone else: other customers' numbers, records and e-mail addresses."""
    found = {c.number for c in seed.customers if c.number != SOPHIE}
    for records in (seed.orders, seed.quotes, seed.invoices, seed.tickets, seed.payment_intents):
        found |= {r.id for r in records if r.customer != SOPHIE}
    found |= {d.id for d in seed.documents if d.customer != SOPHIE}
    found |= {c.email for c in seed.contacts if c.customer != SOPHIE}
    return found


async def test_sophies_seeded_requests_and_their_export_link(
    own_sandbox: Sandbox, client_of: Any
) -> None:
    sophie = await client_of("sophie")
    requests = (await sophie.query(REQUESTS))["privacyRequests"]
    seeded = [r for r in own_sandbox.seed.privacy_requests if r.email == SOPHIE_EMAIL]
    assert {crm_id(r["id"]) for r in requests} == {r.id for r in seeded}
    export = next(r for r in requests if r["type"] == "EXPORT")
    erasure = next(r for r in requests if r["type"] == "ERASURE")
    assert (export["status"], erasure["status"]) == ("COMPLETED", "PARTIALLY_COMPLETED")
    invoices = {i.id for i in own_sandbox.seed.invoices if i.customer == SOPHIE}
    assert len(invoices) == 3
    assert {(h["recordType"], h["externalId"]) for h in erasure["legalHolds"]} == {
        ("INVOICE", invoice) for invoice in invoices
    }
    assert all(h["retainUntil"] and "958f" in h["reason"] for h in erasure["legalHolds"])
    assert erasure["json"] is None  # only an export has a download
    # the seeded export's result was never cached: the download makes it again
    body = (await sophie.http.get(export["json"])).json()
    assert body["request"]["id"] == crm_id(export["id"])
    assert body["subject"] == {
        "organization": SOPHIE,
        "email": SOPHIE_EMAIL,
        "name": "Sophie Rossi",
    }


async def test_the_export_holds_every_record_of_sophie_and_nothing_else(
    own_sandbox: Sandbox,
    client_of: Any,
    own_tokens: Tokens,
    gateway: tuple[str, str],
    redis_client: AsyncRedis,
) -> None:
    sophie = await client_of("sophie")
    asked = (await sophie.query(EXPORT, {"input": {}}))["requestDataExport"]
    assert asked["userErrors"] == []
    assert (asked["privacyRequest"]["status"], asked["privacyRequest"]["scope"]) == (
        "RECEIVED", EVERYTHING
    )  # fmt: skip
    done = await finished(sophie, asked["privacyRequest"]["id"])
    assert done["status"] == "COMPLETED"
    assert {s["system"]: s["status"] for s in done["systems"]} == dict.fromkeys(
        ("erp", "crm", "dms", "payments", "idp"), "DONE"
    )
    request_id = crm_id(done["id"])
    [record] = [r for r in own_sandbox.seed.privacy_requests if r.id == request_id]
    assert record.status == "completed"  # the CRM's record
    assert record.expires_at is not None
    prefix = gateway[1]
    assert await redis_client.exists(f"{prefix}:cache:privacy:export:{request_id}") == 1

    response = await sophie.http.get(done["json"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    exported = response.json()
    seed = own_sandbox.seed
    expected = expected_records(seed, subject_of(await own_tokens("sophie")))
    found = {
        system["system"]: {(r["kind"], r["id"]) for r in system["records"]}
        for system in exported["systems"]
    }
    assert found == expected
    assert all(len(records) > 0 for records in expected.values())
    for system in exported["systems"]:
        for item in system["records"]:
            customer = item["data"].get("customer")
            assert customer in (None, SOPHIE), item
    assert not others_of(seed) & set(strings(exported))

    archive = await sophie.http.get(done["zip"])
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as unpacked:
        assert json.loads(unpacked.read("personal-data.json")) == exported
        contents = {
            name: unpacked.read(name)
            for name in unpacked.namelist()
            if name.startswith("documents/")
        }
    versions = {
        f"documents/{d.id}/{v.label} {v.filename}": v.content
        for d in seed.documents
        if d.customer == SOPHIE and not d.deleted
        for v in d.versions
    }
    assert contents == versions


async def test_the_export_link_serves_sophie_only(
    client_of: Any, own_tokens: Tokens, gateway: tuple[str, str]
) -> None:
    sophie = await client_of("sophie")
    export = next(
        r for r in (await sophie.query(REQUESTS))["privacyRequests"] if r["json"] is not None
    )
    async with httpx.AsyncClient() as http:
        assert (await http.get(export["json"])).status_code == 401
        anna = {"Authorization": f"Bearer {await own_tokens('anna')}"}
        assert (await http.get(export["json"], headers=anna)).status_code == 404
        assert (await http.get(export["zip"] + "x", headers=anna)).status_code == 404


async def test_user_errors_and_the_crms_refusal(own_sandbox: Sandbox, client_of: Any) -> None:
    beat = await client_of("beat")
    empty = (await beat.query(EXPORT, {"input": {"scope": []}}))["requestDataExport"]
    assert empty["privacyRequest"] is None
    assert [(e["field"], e["code"]) for e in empty["userErrors"]] == [
        (["input", "scope"], "INVALID")
    ]
    wrong = {"scope": ["CONSENTS"], "confirmation": "someone@example.ch"}
    refused = (await beat.query(ERASE, {"input": wrong}))["requestErasure"]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "confirmation"], "CONFIRMATION_MISMATCH")
    ]
    luc = await client_of("luc")  # Lumière's only administrator; Chloé is a member too
    closing = {"scope": ["ACCOUNT"], "confirmation": "luc.favre@lumiere-services.ch"}
    last = (await luc.query(ERASE, {"input": closing}))["requestErasure"]
    assert [e["code"] for e in last["userErrors"]] == ["LAST_ADMIN"]
    anna = await client_of("anna")  # also Logistica Ticino's member
    shared = {"scope": ["ACCOUNT"], "confirmation": "anna.keller@muster-maschinenbau.ch"}
    assert [e["code"] for e in (await anna.query(ERASE, {"input": shared}))["requestErasure"][
        "userErrors"]] == ["SHARED_ACCOUNT"]  # fmt: skip
    before = len(own_sandbox.seed.privacy_requests)

    upstream = Upstream(own_sandbox)
    # the CRM takes its time to record that the first export is under way: it stays open
    upstream.fault("crm", latency_ms=2000, operations=[f"PATCH {PRIVACY_REQUEST}"])
    try:
        first = (await beat.query(EXPORT, {"input": {"scope": ["DOCUMENTS"]}}))["requestDataExport"]
        assert first["userErrors"] == []
        again = (await beat.query(EXPORT, {"input": {}}))["requestDataExport"]
        assert again["privacyRequest"] is None
        assert [(e["field"], e["code"]) for e in again["userErrors"]] == [
            (["input"], "REQUEST_IN_PROGRESS")
        ]
    finally:
        upstream.fault("crm", mode="ok")
    assert len(own_sandbox.seed.privacy_requests) == before + 1  # the CRM refused the second
    done = await finished(beat, first["privacyRequest"]["id"])
    assert done["status"] == "COMPLETED"
    assert done["zip"] is not None


async def test_roles_without_the_permission_are_forbidden(
    own_sandbox: Sandbox, gateway: tuple[str, str], own_tokens: Tokens
) -> None:
    sandra = GraphQLClient(gateway[0], await own_tokens("sandra"))
    service = GraphQLClient(gateway[0], await fetch_service_token(own_sandbox.url("idp")))
    try:
        for client, organization in ((sandra, SOPHIE), (service, None)):
            headers = {"X-Portal-Organization": organization} if organization else {}
            for query, variables in (
                (EXPORT, {"input": {}}),
                (ERASE, {"input": {"scope": ["CONSENTS"], "confirmation": SOPHIE_EMAIL}}),
                (REQUESTS, {}),
            ):
                body = (await client.post(query, variables, **headers)).json()
                assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    finally:
        await sandra.aclose()
        await service.aclose()


async def test_another_persons_requests_do_not_exist(client_of: Any) -> None:
    sophie, anna, beat = await client_of("sophie"), await client_of("anna"), await client_of("beat")
    theirs = [r["id"] for r in (await sophie.query(REQUESTS))["privacyRequests"]]
    daniels = (await (await client_of("daniel")).query(REQUESTS))["privacyRequests"]
    assert [h["recordType"] for h in daniels[0]["legalHolds"]] == ["MESSAGE"]  # the dispute
    for client, foreign in ((anna, theirs[0]), (beat, daniels[0]["id"])):
        mine = {r["id"] for r in (await client.query(REQUESTS))["privacyRequests"]}
        assert foreign not in mine
        body = (await client.post(NODE, {"id": foreign})).json()
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    unknown = GlobalId("PrivacyRequest", "crm", "PRQ-9999").encode()
    body = (await anna.post(NODE, {"id": unknown})).json()
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_the_requester_follows_it_by_subscription(
    client_of: Any, gateway: tuple[str, str], own_tokens: Tokens
) -> None:
    daniel = await client_of("daniel")
    async with ws_client(gateway[0], await own_tokens("daniel")) as client:
        await client.start("1", UPDATES)
        asked = (await daniel.query(EXPORT, {"input": {"scope": ["CONSENTS"]}}))[
            "requestDataExport"
        ]
        statuses: list[str] = []
        while not statuses or statuses[-1] not in FINISHED:
            update = (await client.next("1"))["data"]["privacyRequestUpdated"]
            assert update["id"] == asked["privacyRequest"]["id"]
            statuses.append(update["status"])
    assert set(statuses) <= {"IN_PROGRESS", "COMPLETED"}
    assert statuses[-1] == "COMPLETED"
    assert update["systems"] == [
        {"system": s, "status": "DONE"} for s in ("erp", "crm", "dms", "payments", "idp")
    ]


async def test_an_export_with_a_system_down_is_partial(
    own_sandbox: Sandbox, client_of: Any
) -> None:
    carla = await client_of("carla")
    upstream = Upstream(own_sandbox)
    upstream.fault("crm", mode="down", operations=["GET /api/v1/privacy/lookup"])
    try:
        asked = (await carla.query(EXPORT, {"input": {}}))["requestDataExport"]
        done = await finished(carla, asked["privacyRequest"]["id"])
    finally:
        upstream.fault("crm", mode="ok")
    assert done["status"] == "PARTIALLY_COMPLETED"
    assert {s["system"]: s["status"] for s in done["systems"]} == {
        "erp": "DONE", "crm": "FAILED", "dms": "DONE", "payments": "DONE", "idp": "DONE"
    }  # fmt: skip
    exported = (await carla.http.get(done["json"])).json()  # what the others hold
    by_system = {system["system"]: system for system in exported["systems"]}
    assert (by_system["crm"]["status"], by_system["crm"]["records"]) == ("FAILED", [])
    assert [r["kind"] for r in by_system["idp"]["records"]] == ["ACCOUNT"]


async def test_a_request_whose_job_was_lost_is_taken_up_again(
    own_sandbox: Sandbox, own_tokens: Tokens
) -> None:
    jonas = "jonas.weber@nordlicht-handel.de"
    abandoned = {"company_id": NORDLICHT, "email": jonas, "type": "export", "scope": ["consents"]}
    async with httpx.AsyncClient(
        base_url=own_sandbox.url("crm"), headers={"Authorization": f"Bearer {CRM_TOKEN}"}
    ) as crm:  # opened by a replica that stopped before its job began
        left = (await crm.post("/api/v1/privacy_requests", json=abandoned)).json()
    with running_gateway(own_sandbox, privacy_job_timeout_s=1.0) as url:
        client = GraphQLClient(url, await own_tokens("jonas"))
        try:
            answers: list[dict[str, Any]] = []

            async def taken_up() -> bool:
                asked = (await client.query(EXPORT, {"input": {}}))["requestDataExport"]
                answers.append(asked)
                return asked["privacyRequest"] is not None

            await wait_until(taken_up, DEADLINE_S, interval_s=0.2)
            assert {e["code"] for a in answers[:-1] for e in a["userErrors"]} <= {
                "REQUEST_IN_PROGRESS"
            }
            request = answers[-1]["privacyRequest"]
            assert crm_id(request["id"]) == left["id"]  # no second request
            assert (await finished(client, request["id"]))["status"] == "COMPLETED"
        finally:
            await client.aclose()


async def test_erasure_keeps_the_legal_holds_and_removes_the_rest(
    own_sandbox: Sandbox, client_of: Any
) -> None:
    seed = own_sandbox.seed
    sophie = await client_of("sophie")
    order = next(o for o in seed.orders if o.customer == SOPHIE)
    order_id = GlobalId("Order", "erp", order.id).encode()
    assert (await sophie.query(NODE, {"id": order_id}))["node"] == {"id": order_id}  # cached
    before = await sophie.query(GRAPH)
    assert before["orders"]["totalCount"] > 0
    assert before["consents"]
    assert before["tickets"]["totalCount"] > 0
    kept_invoices = {i.id for i in seed.invoices if i.customer == SOPHIE}
    kept_documents = {
        d.id for d in seed.documents if d.customer == SOPHIE and d.doc_type == "invoice"
    }

    asked = (await sophie.query(ERASE, {"input": {
        "scope": EVERYTHING, "confirmation": SOPHIE_EMAIL.upper()}}))["requestErasure"]  # fmt: skip
    assert asked["userErrors"] == []
    done = await finished(sophie, asked["privacyRequest"]["id"])

    assert done["status"] == "PARTIALLY_COMPLETED"
    assert {s["system"]: s["status"] for s in done["systems"]} == {
        "erp": "HELD", "crm": "DONE", "dms": "HELD", "payments": "DONE", "idp": "DONE"
    }  # fmt: skip
    holds = {(h["system"], h["recordType"], h["externalId"]) for h in done["legalHolds"]}
    assert holds == (
        {("erp", "INVOICE", i) for i in kept_invoices}
        | {("erp", "CUSTOMER", SOPHIE)}
        | {("dms", "DOCUMENT", d) for d in kept_documents}
    )
    # the sandbox keeps exactly the holds
    assert {i.id for i in seed.invoices if i.customer == SOPHIE} == kept_invoices
    assert not [o for o in seed.orders if o.customer == SOPHIE]
    assert not [a for a in seed.addresses if a.customer == SOPHIE]
    assert not [c for c in seed.contacts if c.customer == SOPHIE]
    assert not [c for c in seed.consents if c.company_id == SOPHIE]
    assert not [t for t in seed.tickets if t.customer == SOPHIE]
    assert not [i for i in seed.payment_intents if i.customer == SOPHIE]
    live = {d.id for d in seed.documents if d.customer == SOPHIE and not d.deleted}
    assert live == kept_documents
    assert [j.status for j in seed.redaction_jobs] == ["succeeded"]  # PENDING, then done
    with pytest.raises(KeycloakError):
        await fetch_token(own_sandbox.url("idp"), "sophie")  # her login is gone
    # the graph shows the same at once, nothing from a cache (her token is still valid)
    after = await sophie.query(GRAPH)
    invoices = nodes(after["invoices"])
    assert {external(i["id"], "Invoice") for i in invoices} == kept_invoices
    assert all(i["payments"] == [] for i in invoices)
    assert after["orders"]["totalCount"] == 0
    assert after["tickets"]["totalCount"] == 0
    assert after["consents"] == []
    assert after["organization"]["addresses"] == []
    documents = nodes(after["documents"])
    assert {external(d["id"], "Document") for d in documents} == kept_documents
    body = (await sophie.post(NODE, {"id": order_id})).json()
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


GRAPH = """{ orders { totalCount } tickets { totalCount } consents { purpose }
  organization { addresses { id } }
  invoices(first: 100) { edges { node { id payments { id } } } }
  documents(first: 100) { edges { node { id } } } }"""
