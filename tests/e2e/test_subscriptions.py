"""Subscriptions end to end on one gateway (in-memory event stream, as in the demo): the
sandbox changes a record and sends its webhook (or the ERP's change log is polled), and the
subscriber gets the re-resolved object with its cursor, over graphql-transport-ws, graphql-ws
and SSE; resuming from a cursor replays in order; tokens, permissions and shutdown behave."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from resolvers.labels import status_label
from sandbox.idp import idp_of
from sandbox.seed import LUMIERE, MUSTER
from sandbox.server import Sandbox
from schema.common import global_id
from tests.forged_tokens import resigned
from tests.live_stack import advance, live_gateway, open_ticket, post_message, processing_payment
from tests.stack import Tokens
from tests.ws_client import LEGACY_WS, sse_stream, ws_client

MESSAGES = "subscription($after: String) { messageAdded(after: $after) { body } }"
CASES = "subscription { caseUpdated { __typename number } }"


@pytest.fixture(scope="module")
def gateway(live_sandbox: Sandbox) -> Iterator[str]:
    with live_gateway(live_sandbox, ws_keep_alive_s=0.3, events_max_len=10) as url:
        yield url


async def test_a_webhook_reaches_the_subscriber_as_the_object_it_would_query(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    seed = live_sandbox.seed
    intent = processing_payment(seed)
    query = "subscription { paymentStatusChanged { id status amount { amount } } }"
    async with ws_client(gateway, header_token=await live_tokens("daniel")) as client:
        await client.start("1", query)
        await advance(live_sandbox, "payments", object="payment", id=intent.id, to="SUCCEEDED")
        payload = await client.next("1")
    payment = payload["data"]["paymentStatusChanged"]
    assert payment["status"] == "SUCCEEDED"
    assert payment["amount"]["amount"] == f"{intent.amount / 100:.2f}"
    assert payload["extensions"]["cursor"].count("-") == 1
    assert "receivedAt" in payload["extensions"]


async def test_the_erp_is_polled_and_its_changes_arrive(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    order = next(
        o
        for o in live_sandbox.seed.orders
        if o.customer == MUSTER and o.state == "sale" and not o.locked and not o.hold_reason
    )
    query = "subscription { orderStatusChanged { number status } }"
    async with ws_client(gateway, await live_tokens("anna")) as client:
        await client.start("1", query)
        await advance(live_sandbox, "erp", object="order", id=order.id, to="ON_HOLD")
        payload = await client.next("1")
    assert payload["data"]["orderStatusChanged"] == {"number": order.number, "status": "ON_HOLD"}


async def test_resuming_after_a_cursor_replays_in_order_then_continues_live(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    token = await live_tokens("beat")
    async with ws_client(gateway, token) as client:
        await client.start("1", MESSAGES)
        await post_message(live_sandbox, "resume-1")
        first = await client.next("1")
    await post_message(live_sandbox, "resume-2")
    await post_message(live_sandbox, "resume-3")
    async with ws_client(gateway, token) as client:
        await client.start("1", MESSAGES, {"after": first["extensions"]["cursor"]})
        replayed = [await client.next("1"), await client.next("1")]
        await post_message(live_sandbox, "resume-4")
        live = await client.next("1")
    bodies = [p["data"]["messageAdded"]["body"] for p in [first, *replayed, live]]
    assert bodies == ["resume-1", "resume-2", "resume-3", "resume-4"]


async def test_sse_streams_carry_ids_and_resume_from_last_event_id(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    token = await live_tokens("carla")
    async with sse_stream(gateway, token, MESSAGES) as stream:
        await post_message(live_sandbox, "sse-1")
        first = await stream.event()
    assert first["event"] == "next"
    assert '"sse-1"' in first["data"]
    await post_message(live_sandbox, "sse-2")
    async with sse_stream(gateway, token, MESSAGES, last_event_id=first["id"]) as stream:
        second = await stream.event()
    assert '"sse-2"' in second["data"]
    assert second["id"] > first["id"]


async def test_graphql_ws_legacy_protocol_with_keep_alive(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    async with ws_client(gateway, await live_tokens("anna"), subprotocol=LEGACY_WS) as client:
        keep_alive = await client.receive(keep_alives=True)
        await client.start("1", MESSAGES)
        await post_message(live_sandbox, "legacy")
        payload = await client.next("1")
    assert keep_alive == {"type": "ka"}
    assert payload["data"]["messageAdded"]["body"] == "legacy"
    assert "cursor" in payload["extensions"]


async def test_graphql_transport_ws_pings(live_tokens: Tokens, gateway: str) -> None:
    async with ws_client(gateway, await live_tokens("anna")) as client:
        assert await client.receive(keep_alives=True) == {"type": "ping"}


async def test_other_organizations_and_missing_permissions_receive_nothing(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    """Luc (Lumière) and Beat (purchasing, no invoices) miss Muster's ticket and invoice
    events; the next event each may see is the first thing each gets."""
    seed = live_sandbox.seed
    muster_ticket, lumiere_ticket = open_ticket(seed, MUSTER), open_ticket(seed, LUMIERE)
    intent = processing_payment(seed)
    async with (
        ws_client(gateway, await live_tokens("luc")) as luc,
        ws_client(gateway, await live_tokens("beat")) as beat,
        ws_client(gateway, await live_tokens("daniel")) as daniel,
    ):
        for client in (luc, beat, daniel):
            await client.start("1", CASES)
        await advance(
            live_sandbox, "crm", object="ticket", id=muster_ticket, to="WAITING_ON_CUSTOMER"
        )
        await advance(live_sandbox, "payments", object="payment", id=intent.id, to="SUCCEEDED")
        invoice = (await daniel.next("1"))["data"]["caseUpdated"]  # Muster's ticket first
        while invoice["__typename"] != "Invoice":  # then the polled invoice
            invoice = (await daniel.next("1"))["data"]["caseUpdated"]
        await advance(
            live_sandbox, "crm", object="ticket", id=lumiere_ticket, to="WAITING_ON_CUSTOMER"
        )
        await advance(live_sandbox, "crm", object="ticket", id=muster_ticket, to="IN_PROGRESS")
        luc_first = (await luc.next("1"))["data"]["caseUpdated"]
        beat_first = (await beat.next("1"))["data"]["caseUpdated"]
        beat_second = (await beat.next("1"))["data"]["caseUpdated"]
    numbers = {t.id: t.number for t in seed.tickets}
    assert luc_first == {"__typename": "Ticket", "number": numbers[lumiere_ticket]}
    assert beat_first == {"__typename": "Ticket", "number": numbers[muster_ticket]}
    assert beat_second == beat_first  # the invoice in between never reached Beat


async def test_a_subscription_outside_the_permissions_is_refused(
    live_tokens: Tokens, gateway: str
) -> None:
    query = "subscription { invoiceStatusChanged { number } }"
    async with ws_client(gateway, await live_tokens("beat")) as client:
        await client.start("1", query)
        message = await client.receive()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_cursor_older_than_the_retention_asks_to_refetch(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    token = await live_tokens("anna")
    async with ws_client(gateway, token) as client:
        await client.start("1", MESSAGES)
        await post_message(live_sandbox, "old")
        oldest = (await client.next("1"))["extensions"]["cursor"]
        for index in range(11):  # the gateway retains 10 events: one after `old` is gone
            await post_message(live_sandbox, f"filler-{index}")
            await client.next("1")
    async with ws_client(gateway, token) as client:
        await client.start("1", MESSAGES, {"after": oldest})
        expired = await client.receive()
        await client.start("2", MESSAGES, {"after": "not-a-cursor"})
        malformed = await client.receive()
    assert expired["type"] == "error"
    assert expired["payload"][0]["extensions"]["code"] == "CURSOR_EXPIRED"
    assert "query the current state" in expired["payload"][0]["message"]
    assert malformed["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_connection_without_a_valid_token_is_refused(
    live_tokens: Tokens, gateway: str
) -> None:
    async with ws_client(gateway, acknowledge=False) as client:
        refused = await client.closed()
    async with ws_client(gateway, "not-a-token", acknowledge=False) as client:
        forged = await client.closed()
    async with ws_client(gateway, subprotocol=LEGACY_WS, acknowledge=False) as client:
        legacy = await client.receive()
    assert (refused.code, forged.code) == (4403, 4403)
    assert legacy["type"] == "connection_error"


async def test_an_expiring_token_closes_the_connection_with_4403(
    live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    expiring = {"exp": int(time.time()) + 2}
    token = resigned(idp_of(live_sandbox.apps["idp"]), await live_tokens("anna"), **expiring)
    with live_gateway(live_sandbox, oidc_leeway_s=0) as url:
        async with sse_stream(url, token, MESSAGES) as stream, ws_client(url, token) as client:
            await client.start("1", MESSAGES)
            closed = await client.closed()
            ended = await stream.event()
    assert (closed.code, closed.reason) == (4403, "Forbidden: token expired")
    assert ended["event"] == "next"
    assert '"UNAUTHENTICATED"' in ended["data"]


async def test_stopping_a_gateway_closes_subscriptions_for_a_retry_without_an_error(
    live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    messages: list[dict[str, Any]] = []
    with live_gateway(live_sandbox) as url:
        client_context = ws_client(url, await live_tokens("anna"))
        client = await client_context.__aenter__()
        await client.start("1", MESSAGES)
        await post_message(live_sandbox, "before-restart")
        messages.append(await client.next("1"))
    try:
        closed = await client.closed()
    finally:
        await client_context.__aexit__(None, None, None)
    assert closed.code == 1001  # going away (draining): reconnect elsewhere with the cursor
    assert all("errors" not in message for message in messages)


async def test_every_kind_of_subscription_delivers_its_object(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    seed = live_sandbox.seed
    delivery = next(d for d in seed.deliveries if d.customer == MUSTER and d.state == "waiting")
    document = next(d for d in seed.documents if d.customer == MUSTER and d.references)
    subject_type, subject_id = document.references[0]
    subject = global_id(subject_type.capitalize(), "erp", subject_id)
    ticket = open_ticket(seed, MUSTER)
    intent = next(
        i for i in seed.payment_intents if i.customer == MUSTER and i.status != "succeeded"
    )
    operations = {
        "delivery": "subscription { deliveryUpdated { number status } }",
        "version": "subscription($s: ID) { documentVersionAdded(subjectId: $s) { versionLabel } }",
        "notice": "subscription { systemNoticePublished { severity title } }",
        "balance": "subscription { accountBalanceChanged { totalOpen { currencyCode } } }",
        "invoice": "subscription { invoiceStatusChanged { number status } }",
        "sla": "subscription { ticketSlaChanged { number sla { status } } }",
    }
    async with ws_client(gateway, await live_tokens("anna")) as client:
        for name, query in operations.items():
            await client.start(name, query, {"s": subject})
        await advance(live_sandbox, "erp", object="delivery", id=delivery.id, to="SHIPPED")
        await advance(live_sandbox, "dms", object="document", id=document.id, major=True)
        await advance(live_sandbox, "crm", object="notice", severity="incident", title="ERP down")
        await advance(live_sandbox, "payments", object="payment", id=intent.id, to="SUCCEEDED")
        await advance(live_sandbox, "crm", object="ticket", id=ticket, to="WAITING_ON_CUSTOMER")
        got: dict[str, Any] = {}
        for _ in range(20):  # each operation's first result, others' further ones in between
            if set(got) == set(operations):
                break
            message = await client.receive()
            assert message["type"] == "next", message
            got.setdefault(message["id"], message["payload"]["data"])
    numbers = {d.id: d.number for d in seed.deliveries} | {t.id: t.number for t in seed.tickets}
    assert got["delivery"] == {
        "deliveryUpdated": {"number": numbers[delivery.id], "status": "SHIPPED"}
    }
    assert got["version"]["documentVersionAdded"]["versionLabel"].endswith(".0")
    assert got["notice"] == {"systemNoticePublished": {"severity": "INCIDENT", "title": "ERP down"}}
    assert got["balance"]["accountBalanceChanged"]["totalOpen"]["currencyCode"] == "CHF"
    assert got["invoice"]["invoiceStatusChanged"]["status"] in {"PAID", "PARTIALLY_PAID"}
    assert got["sla"] == {
        "ticketSlaChanged": {"number": numbers[ticket], "sla": {"status": "PAUSED"}}
    }


async def test_a_foreign_subject_is_watched_like_an_unknown_one(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    """Luc (Lumière) watches the messages of a Muster ticket and of a ticket that never
    existed: both stay silent, also when the Muster ticket gets a message; the first frame he
    receives is his own organization's next change, which follows that message."""
    seed = live_sandbox.seed
    muster_ticket = open_ticket(seed, MUSTER)
    foreign = global_id("Ticket", "crm", muster_ticket)
    unknown = global_id("Ticket", "crm", "TCK-99999")
    watch = "subscription($id: ID) { messageAdded(subjectId: $id) { body } }"
    async with ws_client(gateway, await live_tokens("luc")) as luc:
        await luc.start("foreign", watch, {"id": foreign})
        await luc.start("unknown", watch, {"id": unknown})
        await luc.start("own", CASES)
        await post_message(live_sandbox, "Nur für Muster")
        own = next(t for t in seed.tickets if t.customer == LUMIERE)
        to = "WAITING_ON_CUSTOMER" if own.stage == "in_progress" else "IN_PROGRESS"
        await advance(live_sandbox, "crm", object="ticket", id=own.id, to=to)
        first = await luc.next("own")  # a frame of "foreign" or "unknown" first would fail here
    assert first["data"]["caseUpdated"]["__typename"] == "Ticket"


@pytest.mark.parametrize(
    ("init", "handshake"),
    [({"Accept-Language": "fr-CH"}, {}), ({}, {"Accept-Language": "fr-CH, en;q=0.5"})],
    ids=["connection_init", "upgrade request"],
)
async def test_events_speak_the_language_the_client_names(
    live_sandbox: Sandbox,
    live_tokens: Tokens,
    gateway: str,
    init: dict[str, str],
    handshake: dict[str, str],
) -> None:
    """A browser names its language in the `connection_init` payload (or its upgrade request
    does), as Accept-Language over HTTP: Anna's own locale (de-CH) gives way to it."""
    ticket = next(
        t for t in live_sandbox.seed.tickets if t.id == open_ticket(live_sandbox.seed, MUSTER)
    )
    to = "WAITING_ON_CUSTOMER" if ticket.stage == "in_progress" else "IN_PROGRESS"
    async with ws_client(
        gateway, await live_tokens("anna"), init_payload=init, headers=handshake
    ) as client:
        await client.start("sla", "subscription { ticketSlaChanged { status statusLabel } }")
        await advance(live_sandbox, "crm", object="ticket", id=ticket.id, to=to)
        changed = (await client.next("sla"))["data"]["ticketSlaChanged"]
    assert changed["status"] == to
    assert changed["statusLabel"] == status_label(to, "fr-CH")
