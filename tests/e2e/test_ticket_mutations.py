"""Tickets and messages end to end: `createTicket`, `updateTicket`, `closeTicket`,
`reopenTicket`, `rateTicket`, `disputeInvoice`, `postMessage` and `markThreadRead` through
the real gateway into the sandbox CRM (and the ERP for the cases written on) and back out
through queries, with user errors (the gateway's and the CRM's own), denied roles, another
organization's IDs, writes that are never retried, and the CRM's webhooks reaching a
subscriber. These tests write, so they run on a sandbox of their own.

`tickets:write` needs no second factor (auth.policy.STEP_UP), so no role gets MFA_REQUIRED
here; every role without the permission gets FORBIDDEN (see also test_access_matrix)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from sandbox.model import Ticket
from sandbox.seed import LUMIERE, MUSTER
from sandbox.server import Sandbox
from schema.common import global_id
from tests.idp_fixtures import fetch_service_token
from tests.live_stack import live_gateway
from tests.stack import GraphQLClient, Tokens, Upstream
from tests.ws_client import ws_client

ERRORS = "userErrors { field code message }"
TICKET = """ticket { id number subject description category priority status createdBy
  satisfactionRating satisfactionComment relatedCase { __typename ... on Order { id }
  ... on Invoice { id } } }"""
MESSAGE = "message { id body authorName authorIsProvider writtenByViewer attachments { id } }"
THREAD = "thread { totalCount unreadCount lastMessage { body } }"
SELECTIONS = {"postMessage": f"{MESSAGE} {THREAD}", "markThreadRead": THREAD}
THREAD_OF = """query($id: ID!) { thread(subjectId: $id) { totalCount unreadCount
  messages { body authorName writtenByViewer attachments { id } } } }"""
TICKET_OF = """query($id: ID!) { ticket(id: $id) { subject description category priority status
  satisfactionRating satisfactionComment } }"""
TICKET_NUMBERS = "{ tickets(first: 100) { totalCount edges { node { number } } } }"
UNKNOWN_ID = global_id("Ticket", "crm", "TCK-9999")

Client = Callable[..., Awaitable[GraphQLClient]]


@pytest.fixture
async def client(own_gateway: str, own_tokens: Tokens) -> AsyncIterator[Client]:
    """`await client("carla")`: a GraphQL client of the gateway for a demo user."""
    made: list[GraphQLClient] = []

    async def make(user: str, organization: str | None = None) -> GraphQLClient:
        made.append(GraphQLClient(own_gateway, await own_tokens(user)))
        if organization is not None:
            made[-1].http.headers["X-Portal-Organization"] = organization
        return made[-1]

    yield make
    for each in made:
        await each.aclose()


async def attempt(
    client: GraphQLClient, name: str, values: dict[str, Any], **headers: str
) -> dict[str, Any]:
    """The answer to mutation `name` (its input type is `<Name>Input`)."""
    input_type = name[0].upper() + name[1:] + "Input"
    selection = SELECTIONS.get(name, TICKET)
    response = await client.post(
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}",
        {"input": values},
        **headers,
    )
    answer: dict[str, Any] = response.json()
    return answer


async def mutate(
    client: GraphQLClient, name: str, values: dict[str, Any], **headers: str
) -> dict[str, Any]:
    """The payload of mutation `name`, which must answer without errors."""
    body = await attempt(client, name, values, **headers)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    assert all(error["message"] for error in payload["userErrors"])
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


def crm_posts(sandbox: Sandbox, operation: str = "POST /api/v1/tickets") -> int:
    counts = httpx.get(f"{sandbox.url('crm')}/_stats").json()["by_operation"]
    return int(counts.get(operation, 0))


def seeded_ticket(sandbox: Sandbox, stage: str, customer: str = MUSTER) -> Ticket:
    return next(t for t in sandbox.seed.tickets if t.customer == customer and t.stage == stage)


def ticket_gid(ticket: Ticket) -> str:
    return global_id("Ticket", "crm", ticket.id)


def muster_order(sandbox: Sandbox) -> str:
    """An order of Muster's with public messages in the CRM."""
    with_messages = {c.subject_id for c in sandbox.seed.comments if c.subject_type == "order"}
    order = next(o for o in sandbox.seed.orders if o.customer == MUSTER and o.id in with_messages)
    return order.id


def document_gid(sandbox: Sandbox, customer: str, audience: str) -> str:
    document = next(
        d
        for d in sandbox.seed.documents
        if d.customer == customer and d.audience == audience and not d.deleted
    )
    return global_id("Document", "dms", document.id)


async def test_a_ticket_about_an_order_is_opened_changed_and_read_back(
    own_sandbox: Sandbox, client: Client
) -> None:
    carla = await client("carla")
    order = global_id("Order", "erp", muster_order(own_sandbox))
    before = (await carla.query(TICKET_NUMBERS))["tickets"]  # the list is cached now
    name = (await carla.query("{ viewer { user { name } } }"))["viewer"]["user"]["name"]

    created = await mutate(carla, "createTicket", {
        "subject": "Halterung klemmt", "description": "Seit der Lieferung klemmt das Lager.",
        "category": "technical", "priority": "HIGH", "relatedCaseId": order,
    })  # fmt: skip

    assert created["userErrors"] == []
    ticket = created["ticket"]
    assert {key: ticket[key] for key in ("subject", "category", "priority", "status")} == {
        "subject": "Halterung klemmt", "category": "technical", "priority": "HIGH",
        "status": "NEW",
    }  # fmt: skip
    assert ticket["createdBy"] == name
    assert ticket["relatedCase"] == {"__typename": "Order", "id": order}
    stored = next(t for t in own_sandbox.seed.tickets if t.number == ticket["number"])
    related = ("order", muster_order(own_sandbox))
    assert (stored.customer, stored.stage, (stored.related_type, stored.related_id)) == (
        MUSTER, "new", related
    )  # fmt: skip
    after = (await carla.query(TICKET_NUMBERS))["tickets"]
    assert after["totalCount"] == before["totalCount"] + 1
    assert {"node": {"number": ticket["number"]}} in after["edges"]

    changed = await mutate(carla, "updateTicket", {
        "ticketId": ticket["id"], "description": "Das Lager klemmt bei Kälte.",
        "priority": "URGENT",
    })  # fmt: skip
    assert changed["userErrors"] == []
    read = (await carla.query(TICKET_OF, {"id": ticket["id"]}))["ticket"]
    assert (read["subject"], read["description"], read["priority"]) == (
        "Halterung klemmt", "Das Lager klemmt bei Kälte.", "URGENT"
    )  # fmt: skip
    assert stored.priority == "3"  # the CRM's own code for URGENT


async def test_close_rate_and_reopen_follow_the_ticket_state(
    own_sandbox: Sandbox, client: Client
) -> None:
    anna = await client("anna")
    created = await mutate(anna, "createTicket", {
        "subject": "Rechnungskopie", "description": "Bitte als PDF.", "category": "billing",
    })  # fmt: skip
    ticket_id = created["ticket"]["id"]
    assert created["ticket"]["priority"] == "NORMAL"

    early = await mutate(anna, "rateTicket", {"ticketId": ticket_id, "rating": 5})
    assert codes(early) == [(["input", "ticketId"], "TICKET_NOT_RESOLVED")]
    closed = await mutate(anna, "closeTicket", {"ticketId": ticket_id})
    assert (closed["ticket"]["status"], closed["userErrors"]) == ("CLOSED", [])
    assert (await anna.query(TICKET_OF, {"id": ticket_id}))["ticket"]["status"] == "CLOSED"
    again = await mutate(anna, "closeTicket", {"ticketId": ticket_id})
    assert codes(again) == [(["input", "ticketId"], "TICKET_ALREADY_CLOSED")]
    frozen = await mutate(anna, "updateTicket", {"ticketId": ticket_id, "subject": "Neu"})
    assert codes(frozen) == [(["input", "ticketId"], "TICKET_NOT_EDITABLE")]

    rated = await mutate(
        anna, "rateTicket", {"ticketId": ticket_id, "rating": 4, "comment": "Schnell erledigt."}
    )
    assert rated["userErrors"] == []
    read = (await anna.query(TICKET_OF, {"id": ticket_id}))["ticket"]
    assert (read["satisfactionRating"], read["satisfactionComment"]) == (4, "Schnell erledigt.")

    reopened = await mutate(anna, "reopenTicket", {"ticketId": ticket_id})
    assert (reopened["ticket"]["status"], reopened["userErrors"]) == ("IN_PROGRESS", [])
    assert (await anna.query(TICKET_OF, {"id": ticket_id}))["ticket"]["status"] == "IN_PROGRESS"
    twice = await mutate(anna, "reopenTicket", {"ticketId": ticket_id})
    assert codes(twice) == [(["input", "ticketId"], "TICKET_NOT_REOPENABLE")]
    cancelled = ticket_gid(seeded_ticket(own_sandbox, "cancelled"))
    assert codes(await mutate(anna, "rateTicket", {"ticketId": cancelled, "rating": 3})) == [
        (["input", "ticketId"], "TICKET_NOT_RESOLVED")
    ]


async def test_refused_inputs_are_user_errors_and_the_crm_validates_too(
    own_sandbox: Sandbox, client: Client
) -> None:
    beat = await client("beat")
    valid = {"subject": "Frage", "description": "Wie lange dauert es?", "category": "general"}
    ticket = ticket_gid(seeded_ticket(own_sandbox, "in_progress"))
    seeded = len(own_sandbox.seed.tickets)
    before = crm_posts(own_sandbox)
    refused_here: dict[str, list[tuple[dict[str, Any], tuple[list[str], str]]]] = {
        "createTicket": [
            ({**valid, "subject": "   "}, (["input", "subject"], "REQUIRED")),
            ({**valid, "subject": "x" * 201}, (["input", "subject"], "TOO_LONG")),
            ({**valid, "relatedCaseId": ticket}, (["input", "relatedCaseId"], "INVALID")),
            ({**valid, "relatedCaseId": "bm9wZQ"}, (["input", "relatedCaseId"], "NOT_FOUND")),
        ],
        "updateTicket": [
            ({"ticketId": ticket}, (["input"], "NOTHING_TO_UPDATE")),
            ({"ticketId": ticket, "description": ""}, (["input", "description"], "REQUIRED")),
        ],
        "rateTicket": [
            ({"ticketId": ticket, "rating": 6}, (["input", "rating"], "INVALID")),
            ({"ticketId": ticket, "rating": 1, "comment": "x" * 2001},
             (["input", "comment"], "TOO_LONG")),
        ],
    }  # fmt: skip
    for name, cases in refused_here.items():
        for values, expected in cases:
            payload = await mutate(beat, name, values)
            assert payload["ticket"] is None, (name, values)
            assert expected in codes(payload), (name, payload)
    assert crm_posts(own_sandbox) == before  # refused before anything was sent

    by_crm = await mutate(beat, "createTicket", {**valid, "category": "wishes"})
    assert by_crm["ticket"] is None
    [error] = by_crm["userErrors"]
    assert (error["field"], error["code"]) == (["input", "category"], "INVALID")
    assert "general" in error["message"]  # the CRM's own words: the categories it has
    assert crm_posts(own_sandbox) == before + 1
    assert len(own_sandbox.seed.tickets) == seeded


async def test_disputing_an_invoice_opens_a_billing_ticket_about_it(
    own_sandbox: Sandbox, client: Client
) -> None:
    seed = own_sandbox.seed
    about = {t.related_id for t in seed.tickets if t.related_type == "invoice"}
    invoice = next(
        i
        for i in seed.invoices
        if i.customer == MUSTER and i.move_type == "out_invoice" and i.state == "posted"
        and i.payment_state == "not_paid" and i.id not in about
    )  # fmt: skip
    invoice_id = global_id("Invoice", "erp", invoice.id)
    daniel = await client("daniel")
    dispute = {"invoiceId": invoice_id, "reason": "NOT_DELIVERED",
               "message": "Position 10 ist nie angekommen."}  # fmt: skip

    opened = await mutate(daniel, "disputeInvoice", dispute, **{"Accept-Language": "fr-CH"})

    assert opened["userErrors"] == []
    ticket = opened["ticket"]
    assert ticket["subject"] == f"Contestation de la facture {invoice.number} : non livré"
    assert (ticket["category"], ticket["status"], ticket["description"]) == (
        "billing", "NEW", dispute["message"]
    )  # fmt: skip
    assert ticket["relatedCase"] == {"__typename": "Invoice", "id": invoice_id}
    listed = (await daniel.query(TICKET_NUMBERS))["tickets"]["edges"]
    assert {"node": {"number": ticket["number"]}} in listed

    twice = await mutate(daniel, "disputeInvoice", dispute)
    assert codes(twice) == [(["input", "invoiceId"], "ALREADY_DISPUTED")]
    assert ticket["number"] in twice["userErrors"][0]["message"]
    cancelled = next(i for i in seed.invoices if i.customer == MUSTER and i.state == "cancel")
    refused = await mutate(
        daniel,
        "disputeInvoice",
        {**dispute, "invoiceId": global_id("Invoice", "erp", cancelled.id)},
    )
    assert codes(refused) == [(["input", "invoiceId"], "INVOICE_NOT_DISPUTABLE")]
    blank = await mutate(daniel, "disputeInvoice", {**dispute, "message": " "})
    assert (["input", "message"], "REQUIRED") in codes(blank)

    beat = await client("beat")  # purchasing: may write tickets, may not read invoices
    hidden = await mutate(beat, "disputeInvoice", dispute)
    assert codes(hidden) == [(["input", "invoiceId"], "NOT_FOUND")]


async def test_messages_on_an_order_are_sanitized_and_counted_unread_per_user(
    own_sandbox: Sandbox, client: Client
) -> None:
    order = global_id("Order", "erp", muster_order(own_sandbox))
    beat, anna = await client("beat"), await client("anna")
    seeded = (await anna.query(THREAD_OF, {"id": order}))["thread"]
    assert seeded["unreadCount"] == seeded["totalCount"] > 0
    attachment = document_gid(own_sandbox, MUSTER, "technical")
    body = ('<p onclick="steal()">Liefertermin <strong>bestätigt</strong>?</p>'
            '<script>alert(1)</script><a href="javascript:alert(2)">hier</a>'
            '<a href="https://example.ch/plan">Plan</a> 3 < 4')  # fmt: skip

    posted = await mutate(
        beat, "postMessage", {"subjectId": order, "body": body, "attachmentIds": [attachment]}
    )

    assert posted["userErrors"] == []
    message = posted["message"]
    for gone in ("onclick", "steal", "<script", "alert", "javascript:"):
        assert gone not in message["body"], gone
    for kept in ("<p>", "<strong>bestätigt</strong>", 'href="https://example.ch/plan"', "3 &lt; 4"):
        assert kept in message["body"], kept
    assert (message["writtenByViewer"], message["authorIsProvider"]) == (True, False)
    assert message["attachments"] == [{"id": attachment}]
    stored = own_sandbox.seed.comments[-1]
    assert (stored.subject_type, stored.body) == ("order", message["body"])
    assert posted["thread"]["totalCount"] == seeded["totalCount"] + 1
    assert posted["thread"]["unreadCount"] == seeded["totalCount"]  # beat's own is read

    for_anna = (await anna.query(THREAD_OF, {"id": order}))["thread"]
    assert for_anna["unreadCount"] == seeded["totalCount"] + 1
    assert for_anna["messages"][-1] == {
        "body": message["body"], "authorName": message["authorName"],
        "writtenByViewer": False, "attachments": [{"id": attachment}],
    }  # fmt: skip
    read = await mutate(anna, "markThreadRead", {"subjectId": order})
    assert (read["thread"]["unreadCount"], read["userErrors"]) == (0, [])
    assert (await anna.query(THREAD_OF, {"id": order}))["thread"]["unreadCount"] == 0
    listed = await anna.query("""query($id: ID!) { order(id: $id) { thread { unreadCount } } }""",
                              {"id": order})  # fmt: skip
    assert listed["order"]["thread"]["unreadCount"] == 0
    assert (await beat.query(THREAD_OF, {"id": order}))["thread"]["unreadCount"] == seeded[
        "totalCount"
    ]  # beat has marked nothing read

    await mutate(beat, "postMessage", {"subjectId": order, "body": "Danke!"})
    assert (await anna.query(THREAD_OF, {"id": order}))["thread"]["unreadCount"] == 1


async def test_every_case_type_takes_messages(own_sandbox: Sandbox, client: Client) -> None:
    seed = own_sandbox.seed
    waiting = seeded_ticket(own_sandbox, "on_hold")
    quote = next(q for q in seed.quotes if q.customer == MUSTER and q.state == "sent")
    invoice = next(i for i in seed.invoices if i.customer == MUSTER and i.state == "posted")
    writers = [
        ("anna", ticket_gid(waiting)),
        ("beat", global_id("Quote", "erp", quote.id)),
        ("daniel", global_id("Invoice", "erp", invoice.id)),
    ]
    for user, subject in writers:
        writer = await client(user)
        posted = await mutate(writer, "postMessage", {"subjectId": subject, "body": f"Von {user}"})
        assert posted["userErrors"] == [], (user, posted)
        thread = (await writer.query(THREAD_OF, {"id": subject}))["thread"]
        assert thread["messages"][-1]["body"] == f"Von {user}"
    anna = await client("anna")
    status = (await anna.query(TICKET_OF, {"id": ticket_gid(waiting)}))["ticket"]["status"]
    assert status == "IN_PROGRESS"  # the customer answered: back to the provider's team

    closed = await mutate(anna, "postMessage", {
        "subjectId": ticket_gid(seeded_ticket(own_sandbox, "closed")), "body": "Noch etwas",
    })  # fmt: skip
    assert codes(closed) == [(["input", "subjectId"], "TICKET_CLOSED")]
    for body, code in (("<script>nur das</script>", "REQUIRED"), ("x" * 10_001, "TOO_LONG")):
        refused = await mutate(
            anna, "postMessage", {"subjectId": ticket_gid(waiting), "body": body}
        )
        assert codes(refused) == [(["input", "body"], code)]


async def test_attachments_must_be_documents_the_viewer_may_read(
    own_sandbox: Sandbox, client: Client
) -> None:
    carla = await client("carla")  # specialist: technical documents only
    order = global_id("Order", "erp", muster_order(own_sandbox))
    attachments = [
        document_gid(own_sandbox, MUSTER, "technical"),
        document_gid(own_sandbox, MUSTER, "financial"),
        document_gid(own_sandbox, LUMIERE, "commercial"),
        "bm9wZQ",
    ]
    before = crm_posts(own_sandbox, "POST /api/v1/comments")
    refused = await mutate(
        carla,
        "postMessage",
        {"subjectId": order, "body": "Siehe Anhang", "attachmentIds": attachments},
    )
    assert codes(refused) == [
        (["input", "attachmentIds", str(index)], "NOT_FOUND") for index in (1, 2, 3)
    ]
    assert crm_posts(own_sandbox, "POST /api/v1/comments") == before


async def test_roles_without_tickets_write_are_denied(
    own_sandbox: Sandbox, own_gateway: str, client: Client
) -> None:
    order = global_id("Order", "erp", muster_order(own_sandbox))
    sandra = await client("sandra", organization=MUSTER)  # provider staff: reads only
    integration = GraphQLClient(own_gateway, await fetch_service_token(own_sandbox.url("idp")))
    attempts: dict[str, dict[str, Any]] = {
        "createTicket": {"subject": "s", "description": "d", "category": "general"},
        "postMessage": {"subjectId": order, "body": "b"},
        "markThreadRead": {"subjectId": order},
    }
    try:
        for caller, allowed in ((sandra, {"markThreadRead"}), (integration, set())):
            for name, values in attempts.items():
                body = await attempt(caller, name, values)
                if name in allowed:
                    assert body["data"][name]["userErrors"] == [], body
                else:
                    assert body["data"] is None, (name, body)
                    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (name, body)
    finally:
        await integration.aclose()


async def test_another_organizations_ids_are_not_found_like_unknown_ones(
    own_sandbox: Sandbox, client: Client
) -> None:
    muster_ticket = ticket_gid(seeded_ticket(own_sandbox, "solved"))
    order = global_id("Order", "erp", muster_order(own_sandbox))
    invoice = next(i for i in own_sandbox.seed.invoices if i.customer == MUSTER)
    luc = await client("luc")  # admin of Lumière
    writes: dict[str, dict[str, Any]] = {
        "updateTicket": {"subject": "x"}, "closeTicket": {}, "reopenTicket": {},
        "rateTicket": {"rating": 5},
    }  # fmt: skip
    for name, values in writes.items():
        foreign = await mutate(luc, name, {"ticketId": muster_ticket, **values})
        unknown = await mutate(luc, name, {"ticketId": UNKNOWN_ID, **values})
        assert foreign == unknown, name
        assert codes(foreign) == [(["input", "ticketId"], "NOT_FOUND")]
    for name, values in {"postMessage": {"body": "Hallo"}, "markThreadRead": {}}.items():
        foreign = await mutate(luc, name, {"subjectId": order, **values})
        assert foreign == await mutate(luc, name, {"subjectId": "bm9wZQ", **values})
        assert codes(foreign) == [(["input", "subjectId"], "NOT_FOUND")]
    disputed = await mutate(luc, "disputeInvoice", {
        "invoiceId": global_id("Invoice", "erp", invoice.id), "reason": "OTHER", "message": "m",
    })  # fmt: skip
    assert codes(disputed) == [(["input", "invoiceId"], "NOT_FOUND")]
    related = await mutate(luc, "createTicket", {
        "subject": "s", "description": "d", "category": "general", "relatedCaseId": order,
    })  # fmt: skip
    assert codes(related) == [(["input", "relatedCaseId"], "NOT_FOUND")]
    thread = (await luc.post(THREAD_OF, {"id": order})).json()
    assert thread["errors"][0]["extensions"] == {"code": "NOT_FOUND"}


async def test_a_failed_write_is_a_clear_error_and_never_retried(
    own_sandbox: Sandbox, client: Client
) -> None:
    anna = await client("anna")
    upstream, operation = Upstream(own_sandbox), "POST /api/v1/tickets"
    before, seeded = crm_posts(own_sandbox, operation), len(own_sandbox.seed.tickets)
    upstream.fault("crm", mode="down", operations=[operation])
    try:
        values = {"subject": "s", "description": "d", "category": "general"}
        body = await attempt(anna, "createTicket", values)
    finally:
        upstream.fault("crm", mode="ok")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert body["errors"][0]["extensions"]["system"] == "crm"
    assert crm_posts(own_sandbox, operation) == before + 1  # one attempt, not retried
    assert len(own_sandbox.seed.tickets) == seeded


async def test_a_posted_message_reaches_subscribers_through_the_crm_webhook(
    own_sandbox: Sandbox, own_tokens: Tokens
) -> None:
    order = global_id("Order", "erp", muster_order(own_sandbox))
    query = "subscription($id: ID) { messageAdded(subjectId: $id) { body authorName } }"
    with live_gateway(own_sandbox) as url:
        async with ws_client(url, await own_tokens("anna")) as subscriber:
            await subscriber.start("1", query, {"id": order})
            beat = GraphQLClient(url, await own_tokens("beat"))
            try:
                posted = await mutate(beat, "postMessage", {"subjectId": order, "body": "Live"})
            finally:
                await beat.aclose()
            payload = await subscriber.next("1")
    assert payload["data"]["messageAdded"] == {
        "body": "Live", "authorName": posted["message"]["authorName"]
    }  # fmt: skip
