"""Writes to sales documents through the adapters over real SOAP and HTTP: the ERP's business
rules (what it refuses, naming the rule and the field, and that a refusal changes nothing),
what it writes and announces in its change log, a ticket opened in the CRM, and that no write
is ever retried. On sandbox systems of their own, since these tests write."""

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from connectors.base.errors import (
    UpstreamRefused,
    UpstreamRejected,
    UpstreamUnavailable,
)
from connectors.base.ports import ListFilter, OrderPort, QuotePort, TicketPort
from connectors.base.records import (
    CaseRef,
    LineRequest,
    NewTicket,
    Order,
    Quote,
    QuoteRequest,
    System,
)
from connectors.crm import CrmAdapter
from connectors.erp import ErpAdapter
from sandbox.crm import create_crm_app
from sandbox.erp import create_erp_app
from sandbox.erp.advance import QUOTE_VALIDITY
from sandbox.faults import Faults
from sandbox.model import Seed
from sandbox.seed import LUMIERE, MUSTER, NORDLICHT, SOPHIE, build_seed, parse_now
from sandbox.stats import RequestStats
from tests.erp_fixtures import ERP_NOW, ErpControl, connect_erp
from tests.rest_fixtures import CRM_TOKEN, bearer_client, controlled, fast_guard
from tests.servers import serve_in_thread

Reason = tuple[str | None, str]
"""A refusal's field and code, in the portal's terms."""


def reasons(refused: UpstreamRefused) -> list[Reason]:
    assert all(refusal.message for refusal in refused.refusals)
    return [(refusal.field, refusal.code) for refusal in refused.refusals]


@pytest.fixture(scope="module")
def seed() -> Seed:
    return build_seed(parse_now(ERP_NOW))


@pytest.fixture(scope="module")
def erp_base(seed: Seed) -> Iterator[str]:
    with serve_in_thread(create_erp_app(seed, Faults(), RequestStats())) as url:
        yield url


@pytest.fixture(scope="module")
def crm_base(seed: Seed) -> Iterator[str]:
    app = create_crm_app(seed, Faults(), RequestStats(), CRM_TOKEN, clock=lambda: seed.now)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
async def erp(erp_base: str) -> AsyncIterator[ErpAdapter]:
    adapter = await connect_erp(f"{erp_base}/erp")
    yield adapter
    await adapter.aclose()


@pytest.fixture
async def control(erp_base: str) -> AsyncIterator[ErpControl]:
    async with httpx.AsyncClient(base_url=erp_base, timeout=5.0) as http:
        erp_control = ErpControl(http)
        await erp_control.reset()
        yield erp_control
        await erp_control.reset()


def quote_by(seed: Seed, customer: str, state: str, valid: bool = True) -> str:
    return next(
        q.id
        for q in seed.quotes
        if q.customer == customer
        and q.state == state
        and (q.validity_date >= seed.now.date()) == valid
    )


def test_the_adapters_implement_the_write_ports(erp: ErpAdapter) -> None:
    """Checked by mypy: the assignments type-check only if the adapters fit the Protocols."""
    quotes: QuotePort = erp
    orders: OrderPort = erp
    assert all(port is erp for port in (quotes, orders))


async def test_a_requested_quote_is_priced_from_the_list_and_readable(
    erp: ErpAdapter, seed: Seed
) -> None:
    desired = seed.now.date() + timedelta(days=40)
    request = QuoteRequest(
        MUSTER, "Beat Frei", (LineRequest("SP-15", Decimal(3)),), "Mit Montage", desired
    )
    quote = await erp.request_quote(request)
    assert quote.status == "REQUESTED"
    assert (quote.requested_by, quote.request_note, quote.requested_date) == (
        "Beat Frei", "Mit Montage", desired
    )  # fmt: skip
    assert quote.valid_until == (seed.now + QUOTE_VALIDITY).date()
    spindle = next(p for p in seed.products if p.code == "SP-15")
    [line] = (await erp.quote_lines([quote.id]))[0]
    assert (line.quantity, line.unit_price.value) == (Decimal(3), spindle.prices["CHF"])
    assert (await erp.get_quotes([quote.id]))[0] == quote
    assert quote in await erp.list_quotes(MUSTER, ListFilter(search=quote.number))


async def test_a_free_text_request_needs_no_lines(erp: ErpAdapter) -> None:
    quote = await erp.request_quote(QuoteRequest(MUSTER, "Beat Frei", (), "Offerte Wartung", None))
    assert quote.status == "REQUESTED"
    assert quote.totals.total.value == 0
    assert await erp.quote_lines([quote.id]) == [[]]


@pytest.mark.parametrize(
    ("request_", "refusals"),
    [
        (
            QuoteRequest(MUSTER, "Beat Frei", (LineRequest("NOPE", Decimal(1)),
                                               LineRequest("DR-08", Decimal("0.0001"))), None,
                         None),
            [("lines.0.product_code", "UNKNOWN_PRODUCT"),
             ("lines.1.quantity", "INVALID_QUANTITY")],
        ),
        (
            QuoteRequest(SOPHIE, "Sophie Rossi", (LineRequest("KIT-HOME", Decimal(1)),), None,
                         None),
            [("lines.0.product_code", "PRODUCT_DISCONTINUED")],
        ),
        (
            QuoteRequest(MUSTER, "Beat Frei", (), None, parse_now(ERP_NOW).date() - timedelta(1)),
            [(None, "EMPTY_REQUEST"), ("desired_date", "DATE_IN_PAST")],
        ),
        (
            QuoteRequest(MUSTER, " ", (), "x" * 2001, None),
            [(None, "REQUIRED"), ("note", "TOO_LONG")],
        ),
    ],
)  # fmt: skip
async def test_refused_requests_name_their_rules_and_create_nothing(
    erp: ErpAdapter, seed: Seed, request_: QuoteRequest, refusals: list[Reason]
) -> None:
    before = len(seed.quotes)
    with pytest.raises(UpstreamRefused) as refused:
        await erp.request_quote(request_)
    assert reasons(refused.value) == refusals
    assert refused.value.system is System.ERP
    assert len(seed.quotes) == before


async def test_accepting_signs_the_quote_and_confirms_an_order_announced_in_the_log(
    erp: ErpAdapter, seed: Seed
) -> None:
    head = (await erp.changes_since(None, 10)).cursor
    quote_id = quote_by(seed, MUSTER, "sent")
    quote, order = await erp.accept_quote(MUSTER, quote_id, "Anna Keller", "PO-7788")
    assert (quote.status, quote.signed_by, quote.order_id) == ("ACCEPTED", "Anna Keller", order.id)
    assert quote.signed_at is not None
    assert (order.status, order.customer_reference, order.quote_id) == (
        "CONFIRMED", "PO-7788", quote_id
    )  # fmt: skip
    assert order.totals == quote.totals
    assert (await erp.get_orders([order.id]))[0] == order
    [delivery] = (await erp.deliveries_of([order.id]))[0]
    assert delivery.status == "PLANNED"
    changes = (await erp.changes_since(head, 10)).changes
    assert [(c.kind, c.entity_id, c.customer) for c in changes] == [
        ("order.status_changed", order.id, MUSTER),
        ("delivery.updated", delivery.id, MUSTER),
    ]
    with pytest.raises(UpstreamRefused) as again:
        await erp.accept_quote(MUSTER, quote_id, "Anna Keller", None)
    assert reasons(again.value) == [("quote_id", "QUOTE_NOT_OPEN")]


async def test_a_customer_on_credit_hold_gets_a_held_order(erp: ErpAdapter, seed: Seed) -> None:
    _, order = await erp.accept_quote(NORDLICHT, quote_by(seed, NORDLICHT, "sent"), "Mia", None)
    assert order.status == "ON_HOLD"
    assert order.block_reason


@pytest.mark.parametrize(
    ("customer", "pick", "signer", "reference", "refusals"),
    [
        (MUSTER, lambda s: quote_by(s, MUSTER, "sent", valid=False), "Anna", None,
         [("quote_id", "QUOTE_EXPIRED")]),
        (MUSTER, lambda s: quote_by(s, MUSTER, "cancel"), "", "P" * 36,
         [("quote_id", "QUOTE_NOT_OPEN"), ("signer_name", "REQUIRED"),
          ("customer_reference", "TOO_LONG")]),
        (MUSTER, lambda s: quote_by(s, LUMIERE, "sent"), "Anna", None,
         [("quote_id", "NOT_FOUND")]),
    ],
)  # fmt: skip
async def test_refused_acceptances(
    erp: ErpAdapter,
    seed: Seed,
    customer: str,
    pick: Callable[[Seed], str],
    signer: str,
    reference: str | None,
    refusals: list[Reason],
) -> None:
    quote_id = pick(seed)
    before = (await erp.get_quotes([quote_id]))[0]
    with pytest.raises(UpstreamRefused) as refused:
        await erp.accept_quote(customer, quote_id, signer, reference)
    assert reasons(refused.value) == refusals
    assert (await erp.get_quotes([quote_id]))[0] == before


async def test_declining_keeps_the_reason(erp: ErpAdapter, seed: Seed) -> None:
    quote = await erp.decline_quote(LUMIERE, quote_by(seed, LUMIERE, "sent"), "Trop cher")
    assert (quote.status, quote.decline_reason) == ("DECLINED", "Trop cher")
    with pytest.raises(UpstreamRefused) as refused:
        await erp.decline_quote(LUMIERE, quote.id, "")
    assert reasons(refused.value) == [("quote_id", "QUOTE_NOT_OPEN"), ("reason", "REQUIRED")]


async def test_a_reorder_is_an_order_at_unchanged_prices_else_a_quote(
    erp: ErpAdapter, seed: Seed
) -> None:
    same_prices = next(
        o for o in seed.orders if o.customer == MUSTER and o.delivery_status == "full"
    )
    repriced = next(o for o in seed.orders if any(line.product == "SP-15" for line in o.lines))
    again = await erp.reorder(MUSTER, same_prices.id, "PO-again")
    assert isinstance(again, Order)
    assert (again.status, again.customer_reference) == ("CONFIRMED", "PO-again")
    assert [line.quantity for line in (await erp.order_lines([again.id]))[0]] == [
        line.quantity for line in same_prices.lines
    ]
    quoted = await erp.reorder(MUSTER, repriced.id, None)
    assert isinstance(quoted, Quote)
    assert quoted.status == "SENT"
    lines = (await erp.quote_lines([quoted.id]))[0]
    assert [(line.product_code, line.quantity) for line in lines] == [
        (line.product, line.quantity) for line in repriced.lines
    ]
    assert next(line for line in lines if line.product_code == "SP-15").unit_price.value == next(
        p.prices["CHF"] for p in seed.products if p.code == "SP-15"
    )
    discontinued = next(o for o in seed.orders if o.customer == SOPHIE)
    with pytest.raises(UpstreamRefused) as refused:
        await erp.reorder(SOPHIE, discontinued.id, None)
    assert reasons(refused.value) == [("order_id", "PRODUCT_DISCONTINUED")]


async def test_cancelling_an_order_before_it_ships(erp: ErpAdapter, seed: Seed) -> None:
    _, order = await erp.accept_quote(MUSTER, quote_by(seed, MUSTER, "sent"), "Anna", None)
    head = (await erp.changes_since(None, 10)).cursor
    cancelled = await erp.cancel_order(MUSTER, order.id, "Projekt gestoppt")
    assert cancelled.status == "CANCELLED"
    [delivery] = (await erp.deliveries_of([order.id]))[0]
    assert delivery.status == "CANCELLED"
    changes = (await erp.changes_since(head, 10)).changes
    assert {(c.entity, c.entity_id) for c in changes} == {
        ("ORDER", order.id), ("DELIVERY", delivery.id)
    }  # fmt: skip
    with pytest.raises(UpstreamRefused) as refused:
        await erp.cancel_order(MUSTER, order.id, "nochmals")
    assert reasons(refused.value) == [("order_id", "ORDER_ALREADY_CANCELLED")]


async def test_a_shipped_and_invoiced_order_is_not_cancelled(erp: ErpAdapter, seed: Seed) -> None:
    shipped = next(o for o in seed.orders if o.delivery_status == "partial")
    before = (await erp.get_orders([shipped.id]))[0]
    with pytest.raises(UpstreamRefused) as refused:
        await erp.cancel_order(shipped.customer, shipped.id, "zu spät")
    assert reasons(refused.value) == [
        ("order_id", "ORDER_SHIPPED"),
        ("order_id", "ORDER_INVOICED"),
    ]
    assert before is not None
    assert before.status == "IN_PROGRESS"
    assert (await erp.get_orders([shipped.id]))[0] == before


async def test_a_write_is_sent_once_whatever_happens(
    erp: ErpAdapter, seed: Seed, control: ErpControl
) -> None:
    await control.set_faults(mode="down", operations=["AcceptQuote", "GetQuotes"])
    quote_id = quote_by(seed, MUSTER, "sent")
    with pytest.raises(UpstreamUnavailable):
        await erp.accept_quote(MUSTER, quote_id, "Anna Keller", None)
    with pytest.raises(UpstreamUnavailable):
        await erp.get_quotes([quote_id])
    assert await control.requests() == {"AcceptQuote": 1, "GetQuotes": 2}  # reads are retried


async def test_a_ticket_opened_in_the_crm_is_readable(crm_base: str, seed: Seed) -> None:
    crm = CrmAdapter(bearer_client(crm_base, CRM_TOKEN), fast_guard(System.CRM))
    tickets: TicketPort = crm  # checked by mypy
    new = NewTicket(MUSTER, "Storno SO-1", "Bitte stornieren", "order", "NORMAL", "Beat Frei",
                    CaseRef("ORDER", "10000002"))  # fmt: skip
    ticket = await tickets.create_ticket(new)
    assert (ticket.status, ticket.customer, ticket.related_case, ticket.created_by) == (
        "NEW", MUSTER, new.related_case, "Beat Frei"
    )  # fmt: skip
    assert (await crm.get_tickets([ticket.id]))[0] == ticket
    before = len(seed.tickets)
    async with controlled(crm_base) as crm_control:
        with pytest.raises(UpstreamRejected):
            await crm.create_ticket(NewTicket(MUSTER, " ", "", "order", "LOW", "Beat", None))
        await crm_control.set_faults(mode="down")
        with pytest.raises(UpstreamUnavailable):
            await crm.create_ticket(new)
        assert (await crm_control.requests())["POST /api/v1/tickets"] == 2  # one each
    assert len(seed.tickets) == before
    await crm.aclose()
