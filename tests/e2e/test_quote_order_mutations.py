"""Quotes and orders end to end: `requestQuote`, `acceptQuote`, `declineQuote`, `reorder` and
`requestOrderCancellation` through the real gateway into the sandbox ERP over SOAP (and the
CRM, for a cancellation the ERP refuses), and back out through queries and subscriptions,
with user errors from the gateway's checks and from the ERP's own rules, denied roles,
another organization's IDs, and writes that are never retried. These tests write, so they
run on a sandbox of their own (`live_sandbox`); each makes the quotes and orders it changes
(a quote is requested in the portal, then sent by the provider through `/_advance`)."""

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox.model import Order, Quote, Seed
from sandbox.seed import MUSTER, SOPHIE
from sandbox.server import Sandbox
from schema.common import global_id
from tests.erp_fixtures import connect_erp
from tests.live_stack import advance, live_gateway
from tests.stack import GraphQLClient, Tokens, Upstream, running_gateway
from tests.ws_client import ws_client

ERRORS = "userErrors { field code message }"
QUOTE_FIELDS = """id number status signedBy signedAt declineReason requestedBy requestNote
  requestedDeliveryDate total { amount currencyCode }
  lines { productCode quantity unitPrice { amount } }"""
ORDER_FIELDS = "id number status customerReference total { amount } quote { id }"
REQUEST = f"""mutation($input: RequestQuoteInput!) {{
  requestQuote(input: $input) {{ quote {{ {QUOTE_FIELDS} }} {ERRORS} }} }}"""
ACCEPT = f"""mutation($input: AcceptQuoteInput!) {{
  acceptQuote(input: $input) {{ quote {{ {QUOTE_FIELDS} }} order {{ {ORDER_FIELDS} }} {ERRORS} }}
}}"""
DECLINE = f"""mutation($input: DeclineQuoteInput!) {{
  declineQuote(input: $input) {{ quote {{ id status declineReason }} {ERRORS} }} }}"""
REORDER = f"""mutation($input: ReorderInput!) {{
  reorder(input: $input) {{ order {{ {ORDER_FIELDS} lines {{ productCode quantity }} }}
                           quote {{ {QUOTE_FIELDS} }} {ERRORS} }} }}"""
CANCEL = f"""mutation($input: RequestOrderCancellationInput!) {{
  requestOrderCancellation(input: $input) {{
    order {{ id status }} outcome
    ticket {{ id number subject status category relatedCase {{ id }} }} {ERRORS} }} }}"""
QUOTE = f"query($id: ID!) {{ quote(id: $id) {{ {QUOTE_FIELDS} order {{ {ORDER_FIELDS} }} }} }}"
ORDER = "query($id: ID!) { order(id: $id) { id status deliveries { status } } }"
QUOTES = "{ quotes(first: 100) { totalCount edges { node { id status } } } }"
ORDERS = "{ orders(first: 100) { totalCount edges { node { id status } } } }"
TICKETS = "{ tickets(first: 100) { totalCount edges { node { id } } } }"


@pytest.fixture(scope="module")
def own_gateway(live_sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(live_sandbox) as url:
        yield url


@pytest.fixture
async def client(own_gateway: str, live_tokens: Tokens) -> AsyncIterator[Any]:
    """`await client("beat")`: a GraphQL client of this module's gateway for a demo user."""
    clients: list[GraphQLClient] = []

    async def make(username: str, url: str = own_gateway) -> GraphQLClient:
        made = GraphQLClient(url, await live_tokens(username))
        clients.append(made)
        return made

    yield make
    for made in clients:
        await made.aclose()


@pytest.fixture
def upstream(live_sandbox: Sandbox) -> Iterator[Upstream]:
    counters = Upstream(live_sandbox)
    counters.reset()
    yield counters
    for system in ("erp", "crm"):
        counters.fault(system, mode="ok")


def quote_id(quote: Quote) -> str:
    return str(global_id("Quote", "erp", quote.id))


def order_id(order: Order) -> str:
    return str(global_id("Order", "erp", order.id))


def numbered(records: list[Any], number: str) -> Any:
    return next(record for record in records if record.number == number)


def list_priced(seed: Seed) -> Order:
    """A Muster order whose lines all cost what they cost today: reordered, it is an order."""
    prices = {p.code: p.prices["CHF"] for p in seed.products}
    return next(
        o
        for o in seed.orders
        if o.customer == MUSTER and all(line.unit_price == prices[line.product] for line in o.lines)
    )


async def sent_quote(sandbox: Sandbox, viewer: GraphQLClient) -> Quote:
    """A new quote of the viewer's organization: requested in the portal, sent by the provider."""
    wanted = {"lines": [{"productCode": "DR-08", "quantity": "5"}]}
    requested = (await viewer.query(REQUEST, {"input": wanted}))["requestQuote"]["quote"]
    quote: Quote = numbered(sandbox.seed.quotes, requested["number"])
    await advance(sandbox, "erp", object="quote", id=quote.id, to="SENT")
    return quote


async def new_order(sandbox: Sandbox, viewer: GraphQLClient) -> Order:
    """A new, confirmed order of Muster's (a reorder at unchanged prices)."""
    again = {"orderId": order_id(list_priced(sandbox.seed))}
    placed = (await viewer.query(REORDER, {"input": again}))["reorder"]["order"]
    order: Order = numbered(sandbox.seed.orders, placed["number"])
    return order


def erp_calls(upstream: Upstream, operation: str) -> int:
    return upstream.counts("erp").get(operation, 0)


def errors_of(result: dict[str, Any]) -> list[tuple[str, list[str]]]:
    assert all(error["message"] for error in result["userErrors"])
    return [(error["code"], error["field"]) for error in result["userErrors"]]


async def test_request_a_quote_and_find_it_in_the_list(
    client: Any, live_sandbox: Sandbox, upstream: Upstream
) -> None:
    beat = await client("beat")
    before = (await beat.query(QUOTES))["quotes"]  # cached now
    desired = (live_sandbox.seed.now + timedelta(days=30)).date().isoformat()
    wanted = {"lines": [{"productCode": "DR-08", "quantity": "12"},
                        {"productCode": "SP-15", "quantity": "2.5"}],
              "note": "Bitte mit Montage", "desiredDate": desired}  # fmt: skip
    result = (await beat.query(REQUEST, {"input": wanted}))["requestQuote"]
    assert result["userErrors"] == []
    quote = result["quote"]
    assert (quote["status"], quote["requestedBy"], quote["requestNote"]) == (
        "REQUESTED", "Beat Frei", "Bitte mit Montage"
    )  # fmt: skip
    assert quote["requestedDeliveryDate"] == desired
    prices = {p.code: p.prices["CHF"] for p in live_sandbox.seed.products}
    assert [(line["productCode"], Decimal(line["quantity"]), Decimal(line["unitPrice"]["amount"]))
            for line in quote["lines"]] == [
        ("DR-08", Decimal(12), prices["DR-08"]), ("SP-15", Decimal("2.5"), prices["SP-15"])
    ]  # fmt: skip
    after = (await beat.query(QUOTES))["quotes"]
    assert after["totalCount"] == before["totalCount"] + 1  # the cached list was dropped
    assert {"id": quote["id"], "status": "REQUESTED"} in [e["node"] for e in after["edges"]]
    assert (await beat.query(QUOTE, {"id": quote["id"]}))["quote"]["number"] == quote["number"]
    assert erp_calls(upstream, "RequestQuote") == 1

    free_text = {"note": "Offerte für die jährliche Wartung"}
    words = (await beat.query(REQUEST, {"input": free_text}))["requestQuote"]
    assert words["userErrors"] == []
    assert (words["quote"]["status"], words["quote"]["lines"]) == ("REQUESTED", [])


async def test_refused_requests_are_user_errors_and_create_nothing(
    client: Any, live_sandbox: Sandbox, upstream: Upstream
) -> None:
    beat = await client("beat")
    before = (await beat.query(QUOTES))["quotes"]["totalCount"]
    yesterday = (live_sandbox.seed.now - timedelta(days=1)).date().isoformat()
    checked_here = {
        "EMPTY_REQUEST": ({"note": "  "}, ["input"]),
        "INVALID_QUANTITY": ({"lines": [{"productCode": "DR-08", "quantity": "0"}]},
                             ["input", "lines", "0", "quantity"]),
        "DATE_IN_PAST": ({"note": "x", "desiredDate": yesterday}, ["input", "desiredDate"]),
        "TOO_LONG": ({"note": "x" * 2001}, ["input", "note"]),
    }  # fmt: skip
    for code, (wanted, field) in checked_here.items():
        result = (await beat.query(REQUEST, {"input": wanted}))["requestQuote"]
        assert result["quote"] is None
        assert errors_of(result) == [(code, field)]
    assert erp_calls(upstream, "RequestQuote") == 0  # refused before any write

    by_the_erp = {"lines": [{"productCode": "DR-08", "quantity": "1"},
                            {"productCode": "NO-SUCH-PART", "quantity": "1"}]}  # fmt: skip
    result = (await beat.query(REQUEST, {"input": by_the_erp}))["requestQuote"]
    assert result["quote"] is None
    assert errors_of(result) == [("UNKNOWN_PRODUCT", ["input", "lines", "1", "productCode"])]
    assert "NO-SUCH-PART" not in result["userErrors"][0]["message"]  # the gateway's own text
    assert erp_calls(upstream, "RequestQuote") == 1
    assert (await beat.query(QUOTES))["quotes"]["totalCount"] == before


async def test_accept_a_quote_signs_it_and_creates_the_order(
    client: Any, live_sandbox: Sandbox
) -> None:
    beat = await client("beat")
    offer = await sent_quote(live_sandbox, beat)
    head = (await beat.query(QUOTE, {"id": quote_id(offer)}))["quote"]  # cached now
    assert (head["status"], head["order"]) == ("SENT", None)
    orders_before = (await beat.query(ORDERS))["orders"]["totalCount"]
    feed = await connect_erp(live_sandbox.erp_url)
    cursor = (await feed.changes_since(None, 10)).cursor

    signed = {"quoteId": quote_id(offer), "signerName": " Beat Frei ",
              "customerReference": "PO-2026-777"}  # fmt: skip
    result = (await beat.query(ACCEPT, {"input": signed}))["acceptQuote"]
    assert result["userErrors"] == []
    quote, order = result["quote"], result["order"]
    assert (quote["status"], quote["signedBy"]) == ("ACCEPTED", "Beat Frei")
    assert quote["signedAt"] is not None
    assert (order["status"], order["customerReference"], order["quote"]) == (
        "CONFIRMED", "PO-2026-777", {"id": quote_id(offer)}
    )  # fmt: skip
    assert order["total"]["amount"] == quote["total"]["amount"]

    read = (await beat.query(QUOTE, {"id": quote_id(offer)}))["quote"]  # the cache was dropped
    assert (read["status"], read["signedBy"], read["order"]["id"]) == (
        "ACCEPTED", "Beat Frei", order["id"]
    )  # fmt: skip
    listed = (await beat.query(ORDERS))["orders"]
    assert listed["totalCount"] == orders_before + 1
    assert {"id": order["id"], "status": "CONFIRMED"} in [e["node"] for e in listed["edges"]]
    created = numbered(live_sandbox.seed.orders, order["number"])
    changes = (await feed.changes_since(cursor, 10)).changes
    await feed.aclose()
    assert ("order.status_changed", created.id) in [(c.kind, c.entity_id) for c in changes]

    again = (await beat.query(ACCEPT, {"input": signed}))["acceptQuote"]
    assert (again["quote"], again["order"]) == (None, None)
    assert errors_of(again) == [("QUOTE_NOT_OPEN", ["input", "quoteId"])]


async def test_refused_acceptances_are_user_errors(
    client: Any, live_sandbox: Sandbox, upstream: Upstream
) -> None:
    beat = await client("beat")
    seed = live_sandbox.seed
    expired = next(q for q in seed.quotes if q.customer == MUSTER and q.state == "sent"
                   and q.validity_date < seed.now.date())  # fmt: skip
    declined = next(q for q in seed.quotes if q.customer == MUSTER and q.decline_reason)
    draft = next(q for q in seed.quotes if q.customer == MUSTER and q.state == "draft"
                 and q.requested_by is None)  # fmt: skip
    offer = await sent_quote(live_sandbox, beat)
    upstream.reset()
    cases = [
        ({"quoteId": quote_id(expired), "signerName": "Beat"},
         [("QUOTE_EXPIRED", ["input", "quoteId"])]),
        ({"quoteId": quote_id(declined), "signerName": "Beat"},
         [("QUOTE_NOT_OPEN", ["input", "quoteId"])]),
        ({"quoteId": quote_id(draft), "signerName": "Beat"},  # a draft is never shown
         [("NOT_FOUND", ["input", "quoteId"])]),
        ({"quoteId": quote_id(offer), "signerName": " ", "customerReference": "P" * 36},
         [("REQUIRED", ["input", "signerName"]), ("TOO_LONG", ["input", "customerReference"])]),
    ]  # fmt: skip
    for wanted, expected in cases:
        result = (await beat.query(ACCEPT, {"input": wanted}))["acceptQuote"]
        assert errors_of(result) == expected
    assert erp_calls(upstream, "AcceptQuote") == 0

    # The gateway's cache still has the quote as SENT when the provider's ERP user has just
    # accepted it on the customer's behalf: the ERP itself refuses.
    assert (await beat.query(QUOTE, {"id": quote_id(offer)}))["quote"]["status"] == "SENT"
    erp = await connect_erp(live_sandbox.erp_url)
    await erp.accept_quote(MUSTER, offer.id, "Sandra Brunner", None)
    await erp.aclose()
    signed = {"quoteId": quote_id(offer), "signerName": "Beat Frei"}
    result = (await beat.query(ACCEPT, {"input": signed}))["acceptQuote"]
    assert errors_of(result) == [("QUOTE_NOT_OPEN", ["input", "quoteId"])]
    assert erp_calls(upstream, "AcceptQuote") == 2
    assert offer.signed_by == "Sandra Brunner"


async def test_decline_a_quote_with_a_reason(client: Any, live_sandbox: Sandbox) -> None:
    anna = await client("anna")
    offer = await sent_quote(live_sandbox, anna)
    missing = {"quoteId": quote_id(offer), "reason": ""}
    refused = (await anna.query(DECLINE, {"input": missing}))["declineQuote"]
    assert errors_of(refused) == [("REQUIRED", ["input", "reason"])]
    await anna.query(QUOTE, {"id": quote_id(offer)})  # cached
    reason = {"quoteId": quote_id(offer), "reason": "Lieferfrist zu lang"}
    result = (await anna.query(DECLINE, {"input": reason}))["declineQuote"]
    assert result["userErrors"] == []
    assert result["quote"] == {
        "id": quote_id(offer), "status": "DECLINED", "declineReason": "Lieferfrist zu lang"
    }  # fmt: skip
    read = (await anna.query(QUOTE, {"id": quote_id(offer)}))["quote"]
    assert (read["status"], read["declineReason"]) == ("DECLINED", "Lieferfrist zu lang")


async def test_reorder_is_an_order_or_a_quote_at_todays_prices(
    client: Any, live_sandbox: Sandbox
) -> None:
    beat = await client("beat")
    seed = live_sandbox.seed
    prices = {p.code: p.prices["CHF"] for p in seed.products}
    same = list_priced(seed)
    muster = [o for o in seed.orders if o.customer == MUSTER]
    repriced = next(o for o in muster if any(ln.unit_price != prices[ln.product] for ln in o.lines))
    await beat.query(ORDERS)  # cached

    again = {"orderId": order_id(same), "customerReference": "PO-AGAIN"}
    placed = (await beat.query(REORDER, {"input": again}))["reorder"]
    assert (placed["userErrors"], placed["quote"]) == ([], None)
    order = placed["order"]
    assert (order["status"], order["customerReference"]) == ("CONFIRMED", "PO-AGAIN")
    assert [(line["productCode"], Decimal(line["quantity"])) for line in order["lines"]] == [
        (line.product, line.quantity) for line in same.lines
    ]
    listed = [e["node"]["id"] for e in (await beat.query(ORDERS))["orders"]["edges"]]
    assert order["id"] in listed

    quoted = (await beat.query(REORDER, {"input": {"orderId": order_id(repriced)}}))["reorder"]
    assert (quoted["userErrors"], quoted["order"]) == ([], None)
    quote = quoted["quote"]
    assert quote["status"] == "SENT"
    assert [(line["productCode"], Decimal(line["unitPrice"]["amount"])) for line in quote["lines"]
            ] == [(line.product, prices[line.product]) for line in repriced.lines]  # fmt: skip

    sophie = await client("sophie")
    gone = next(o for o in seed.orders if o.customer == SOPHIE)
    refused = (await sophie.query(REORDER, {"input": {"orderId": order_id(gone)}}))["reorder"]
    assert errors_of(refused) == [("PRODUCT_DISCONTINUED", ["input", "orderId"])]


async def test_cancel_an_order_that_has_not_shipped(client: Any, live_sandbox: Sandbox) -> None:
    beat = await client("beat")
    pending = await new_order(live_sandbox, beat)
    await beat.query(ORDER, {"id": order_id(pending)})  # cached
    wanted = {"orderId": order_id(pending), "reason": "Projekt verschoben"}
    result = (await beat.query(CANCEL, {"input": wanted}))["requestOrderCancellation"]
    assert result == {
        "order": {"id": order_id(pending), "status": "CANCELLED"}, "outcome": "CANCELLED",
        "ticket": None, "userErrors": [],
    }  # fmt: skip
    read = (await beat.query(ORDER, {"id": order_id(pending)}))["order"]
    assert read["status"] == "CANCELLED"
    assert [d["status"] for d in read["deliveries"]] == ["CANCELLED"]

    again = (await beat.query(CANCEL, {"input": wanted}))["requestOrderCancellation"]
    assert again["order"] is None
    assert errors_of(again) == [("ORDER_ALREADY_CANCELLED", ["input", "orderId"])]


async def test_a_shipped_order_gets_a_ticket_instead(
    client: Any, live_sandbox: Sandbox, upstream: Upstream
) -> None:
    beat = await client("beat")
    shipped = next(o for o in live_sandbox.seed.orders if o.delivery_status == "partial")
    tickets_before = (await beat.query(TICKETS))["tickets"]["totalCount"]  # cached
    wanted = {"orderId": order_id(shipped), "reason": "Falsche Ausführung bestellt"}
    result = (await beat.query(CANCEL, {"input": wanted}))["requestOrderCancellation"]
    assert result["userErrors"] == []
    assert (result["outcome"], result["order"]) == (
        "TICKET_OPENED", {"id": order_id(shipped), "status": "IN_PROGRESS"}
    )  # fmt: skip
    ticket = result["ticket"]
    assert (ticket["status"], ticket["category"], ticket["relatedCase"]) == (
        "NEW", "order", {"id": order_id(shipped)}
    )  # fmt: skip
    assert shipped.number in ticket["subject"]
    tickets = (await beat.query(TICKETS))["tickets"]
    assert tickets["totalCount"] == tickets_before + 1
    assert {"id": ticket["id"]} in [e["node"] for e in tickets["edges"]]
    opened = numbered(live_sandbox.seed.tickets, ticket["number"])
    assert opened.description.startswith("Falsche Ausführung bestellt")
    assert opened.created_by == "Beat Frei"

    again = (await beat.query(CANCEL, {"input": wanted}))["requestOrderCancellation"]
    assert again["ticket"]["id"] == ticket["id"]  # the open ticket, not a second one
    assert upstream.counts("crm").get("POST /api/v1/tickets") == 1
    assert erp_calls(upstream, "CancelOrder") == 2  # the ERP decides each time


async def test_roles_without_the_permission_are_denied(
    client: Any, live_sandbox: Sandbox, upstream: Upstream
) -> None:
    seed = live_sandbox.seed
    quote = quote_id(next(q for q in seed.quotes if q.customer == MUSTER and q.state == "sent"))
    order = order_id(list_priced(seed))
    calls = [
        (REQUEST, {"note": "x"}, "quotes:accept"),
        (ACCEPT, {"quoteId": quote, "signerName": "x"}, "quotes:accept"),
        (DECLINE, {"quoteId": quote, "reason": "x"}, "quotes:accept"),
        (REORDER, {"orderId": order}, "orders:write"),
        (CANCEL, {"orderId": order, "reason": "x"}, "orders:write"),
    ]
    for user in ("carla", "daniel"):  # specialist, accounting; no step-up is asked for
        denied = await client(user)
        for mutation, variables, permission in calls:
            body = (await denied.post(mutation, {"input": variables})).json()
            assert body["data"] is None, (user, mutation)
            assert body["errors"][0]["extensions"] == {
                "code": "FORBIDDEN",
                "permission": permission,
            }
    assert upstream.counts("erp") == {}  # refused before any upstream call


async def test_another_organizations_ids_are_not_found(
    client: Any, live_sandbox: Sandbox, live_tokens: Tokens, own_gateway: str
) -> None:
    beat = await client("beat")
    muster_quote, muster_order = (
        await sent_quote(live_sandbox, beat),
        list_priced(live_sandbox.seed),
    )
    luc = await client("luc")  # Lumière Services
    anna = GraphQLClient(own_gateway, await live_tokens("anna"))
    anna.http.headers["X-Portal-Organization"] = "0000100004"  # acting for Logistica Ticino

    def calls(quote: str, order: str) -> list[tuple[str, str, dict[str, str]]]:
        return [
            (ACCEPT, "acceptQuote", {"quoteId": quote, "signerName": "Luc Favre"}),
            (DECLINE, "declineQuote", {"quoteId": quote, "reason": "non"}),
            (REORDER, "reorder", {"orderId": order}),
            (CANCEL, "requestOrderCancellation", {"orderId": order, "reason": "non"}),
        ]

    theirs = calls(quote_id(muster_quote), order_id(muster_order))
    unknown = calls(str(global_id("Quote", "erp", "39999999")),
                    str(global_id("Order", "erp", "19999999")))  # fmt: skip
    for viewer in (luc, anna):
        for (mutation, name, variables), (_, _, missing) in zip(theirs, unknown, strict=True):
            answer = (await viewer.query(mutation, {"input": variables}))[name]
            assert [e["code"] for e in answer["userErrors"]] == ["NOT_FOUND"], name
            assert answer == (await viewer.query(mutation, {"input": missing}))[name]
    await anna.aclose()
    assert (muster_quote.state, muster_order.state) == ("sent", "sale")  # untouched


async def test_writes_are_never_retried_and_an_outage_is_a_clear_error(
    client: Any, live_sandbox: Sandbox, upstream: Upstream
) -> None:
    beat = await client("beat")
    offer = await sent_quote(live_sandbox, beat)
    upstream.fault("erp", mode="down", operations=["AcceptQuote"])
    signed = {"quoteId": quote_id(offer), "signerName": "Beat Frei"}
    body = (await beat.post(ACCEPT, {"input": signed})).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert body["errors"][0]["extensions"]["system"] == "erp"
    assert erp_calls(upstream, "AcceptQuote") == 1  # sent once, not retried
    assert offer.state == "sent"

    upstream.fault("crm", mode="down")
    shipped = next(o for o in live_sandbox.seed.orders if o.customer == MUSTER
                   and o.delivery_status == "full" and not o.locked)  # fmt: skip
    wanted = {"orderId": order_id(shipped), "reason": "bitte stornieren"}
    body = (await beat.post(CANCEL, {"input": wanted})).json()
    assert body["data"] is None  # the request could not be kept, and the client is told so
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert body["errors"][0]["extensions"]["system"] == "crm"


async def test_the_erp_change_log_brings_new_and_cancelled_orders_to_subscribers(
    client: Any, live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    with live_gateway(live_sandbox) as polling:  # a gateway that polls the ERP's change log
        beat = await client("beat", polling)
        offer = await sent_quote(live_sandbox, beat)
        query = "subscription { orderStatusChanged { number status } }"
        async with ws_client(polling, await live_tokens("beat")) as subscriber:
            await subscriber.start("1", query)
            signed = {"quoteId": quote_id(offer), "signerName": "Beat Frei"}
            order = (await beat.query(ACCEPT, {"input": signed}))["acceptQuote"]["order"]
            assert (await subscriber.next("1"))["data"]["orderStatusChanged"] == {
                "number": order["number"], "status": "CONFIRMED"
            }  # fmt: skip
            wanted = {"orderId": order["id"], "reason": "doch nicht"}
            await beat.query(CANCEL, {"input": wanted})
            assert (await subscriber.next("1"))["data"]["orderStatusChanged"] == {
                "number": order["number"], "status": "CANCELLED"
            }  # fmt: skip
