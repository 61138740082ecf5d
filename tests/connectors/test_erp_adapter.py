"""The ERP adapter against the sandbox ERP over real SOAP: every port method, the batch
contract (one upstream request per call, counted by the sandbox), paging and failures."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta

import pytest
from zeep.exceptions import Fault, TransportError

from connectors.base.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRefused,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.base.guard import Guard
from connectors.base.http import HttpLimits, create_client
from connectors.base.ports import (
    BookingPort,
    InvoicePort,
    ListFilter,
    OrderPort,
    OrganizationPort,
    QuotePort,
)
from connectors.base.records import AddressFields, System
from connectors.base.retry import RetryPolicy
from connectors.base.soap import SoapService, fault_error, transport_error
from connectors.erp import ErpAdapter
from connectors.erp.client import BINDING, WSDL_PATH
from sandbox.model import Seed
from sandbox.seed import FILLER_ORDERS, LUMIERE, MUSTER, NORDLICHT
from sandbox.server import bind
from tests.erp_fixtures import ERP_RETRY, UNKNOWN, ErpControl, connect_erp

HANG_LIMITS = HttpLimits(connect_timeout_s=1.0, read_timeout_s=0.2, total_timeout_s=0.5)
BatchCall = Callable[[ErpAdapter, Seed], Awaitable[Sequence[object]]]


def test_the_adapter_implements_its_ports(erp_adapter: ErpAdapter) -> None:
    """Checked by mypy: the assignments type-check only if ErpAdapter fits each Protocol."""
    organizations: OrganizationPort = erp_adapter
    quotes: QuotePort = erp_adapter
    orders: OrderPort = erp_adapter
    invoices: InvoicePort = erp_adapter
    bookings: BookingPort = erp_adapter
    ports = (organizations, quotes, orders, invoices, bookings)
    assert all(port is erp_adapter for port in ports)


async def test_customers_in_key_order(
    erp_adapter: ErpAdapter, erp_seed: Seed, erp_control: ErpControl
) -> None:
    numbers = [LUMIERE, UNKNOWN, MUSTER, LUMIERE]
    customers = await erp_adapter.get_customers(numbers)
    assert [c.number if c else None for c in customers] == [LUMIERE, None, MUSTER, LUMIERE]
    muster = next(c for c in erp_seed.customers if c.number == MUSTER)
    assert customers[2] is not None
    assert customers[2].legal_name == muster.name
    assert await erp_control.requests() == {"GetCustomers": 1}


async def test_addresses_grouped_per_customer(erp_adapter: ErpAdapter, erp_seed: Seed) -> None:
    groups = await erp_adapter.addresses_of([NORDLICHT, UNKNOWN, MUSTER])
    expected = [
        [a.id for a in erp_seed.addresses if a.customer == c] for c in (NORDLICHT, UNKNOWN, MUSTER)
    ]
    assert [[a.id for a in group] for group in groups] == expected
    assert expected[1] == []
    assert len(expected[2]) == 3


async def test_quotes_and_their_lines(erp_adapter: ErpAdapter, erp_seed: Seed) -> None:
    ids = [q.id for q in erp_seed.quotes]
    quotes = await erp_adapter.get_quotes([*ids, UNKNOWN])
    assert [q.id if q else None for q in quotes] == [*ids, None]
    assert {q.status for q in quotes if q} >= {"DRAFT", "SENT", "ACCEPTED", "DECLINED", "CANCELLED"}
    lines = await erp_adapter.quote_lines([ids[1], UNKNOWN])
    assert [line.product_code for line in lines[0]] == [
        line.product for line in erp_seed.quotes[1].lines
    ]
    assert lines[1] == []


async def test_list_quotes_newest_first_including_drafts(
    erp_adapter: ErpAdapter, erp_seed: Seed, erp_control: ErpControl
) -> None:
    quotes = await erp_adapter.list_quotes(MUSTER, ListFilter())
    expected = sorted(
        (q for q in erp_seed.quotes if q.customer == MUSTER), key=lambda q: q.created_at
    )
    assert [q.id for q in quotes] == [q.id for q in reversed(expected)]
    assert await erp_control.requests() == {"ListQuotes": 1}


async def test_orders_with_lines_and_deliveries(erp_adapter: ErpAdapter, erp_seed: Seed) -> None:
    orders = await erp_adapter.get_orders(["10000002", UNKNOWN, "10000005"])
    assert [(o.status, o.customer) if o else None for o in orders] == [
        ("IN_PROGRESS", MUSTER),
        None,
        ("ON_HOLD", NORDLICHT),
    ]
    [lines, none] = await erp_adapter.order_lines(["10000002", UNKNOWN])
    seed_order = next(o for o in erp_seed.orders if o.id == "10000002")
    assert [(line.position, line.delivered_quantity) for line in lines] == [
        (line.position, line.qty_delivered) for line in seed_order.lines
    ]
    assert none == []
    deliveries = await erp_adapter.deliveries_of(["10000002", "10000001", "10000007"])
    assert [[d.id for d in group] for group in deliveries] == [
        [d.id for d in erp_seed.deliveries if d.order_id == order]
        for order in ("10000002", "10000001", "10000007")
    ]
    assert deliveries[0][0].tracking_number is not None


@pytest.mark.parametrize("page_size", [100, 5])
async def test_list_orders_pages_through_everything(
    erp_url: str, erp_seed: Seed, erp_control: ErpControl, page_size: int
) -> None:
    adapter = await connect_erp(erp_url, page_size=page_size)
    try:
        orders = await adapter.list_orders(MUSTER, ListFilter())
    finally:
        await adapter.aclose()
    expected = sorted(
        (o for o in erp_seed.orders if o.customer == MUSTER), key=lambda o: o.date_order
    )
    assert len(expected) > FILLER_ORDERS
    assert [o.id for o in orders] == [o.id for o in reversed(expected)]
    pages = -(-len(expected) // page_size)
    assert await erp_control.requests() == {"ListOrders": pages}


async def test_list_reads_are_bounded(
    erp_url: str, erp_control: ErpControl, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = await connect_erp(erp_url, page_size=5, max_pages=2)
    try:
        orders = await adapter.list_orders(MUSTER, ListFilter())
    finally:
        await adapter.aclose()
    assert len(orders) == 10
    assert await erp_control.requests() == {"ListOrders": 2}
    assert f"ListOrders for {MUSTER}: cut at 10 records" in caplog.text


async def test_list_orders_filters_upstream(erp_adapter: ErpAdapter, erp_seed: Seed) -> None:
    order = next(o for o in erp_seed.orders if o.id == "10000002")
    day = order.date_order.date()
    assert order.client_order_ref is not None
    by_reference = await erp_adapter.list_orders(
        MUSTER, ListFilter(search=order.client_order_ref.lower())
    )
    by_date = await erp_adapter.list_orders(MUSTER, ListFilter(date_from=day, date_to=day))
    later = await erp_adapter.list_orders(MUSTER, ListFilter(date_from=day + timedelta(days=1)))
    assert [o.id for o in by_reference] == [o.id for o in by_date] == [order.id]
    assert later
    assert all(o.ordered_at.date() > day for o in later)
    assert await erp_adapter.list_orders(UNKNOWN, ListFilter()) == []


async def test_invoices_credit_notes_and_open_items(
    erp_adapter: ErpAdapter, erp_seed: Seed
) -> None:
    ids = [i.id for i in erp_seed.invoices]
    invoices = await erp_adapter.get_invoices([UNKNOWN, *ids])
    assert [i.id if i else None for i in invoices] == [None, *ids]
    by_order = await erp_adapter.invoices_of_orders(["10000004", "10000001"])
    assert [[i.id for i in group] for group in by_order] == [
        [i.id for i in erp_seed.invoices if i.order_id == order]
        for order in ("10000004", "10000001")
    ]
    credited = sorted({i.reversed_invoice_id for i in erp_seed.invoices if i.reversed_invoice_id})
    notes = await erp_adapter.credit_notes_of([*credited, UNKNOWN])
    assert [[n.applied_to_invoice_id for n in group] for group in notes] == [
        *([invoice] for invoice in credited),
        [],
    ]
    [muster, unknown] = await erp_adapter.open_items([MUSTER, UNKNOWN])
    assert [item.invoice_id for item in muster] == [
        i.id
        for i in erp_seed.invoices
        if i.customer == MUSTER and i.state == "posted" and i.amount_residual
    ]
    assert unknown == []


async def test_list_invoices(erp_adapter: ErpAdapter, erp_seed: Seed) -> None:
    invoices = await erp_adapter.list_invoices(MUSTER, ListFilter())
    expected = [i for i in erp_seed.invoices if i.customer == MUSTER]
    assert sorted(i.id for i in invoices) == sorted(i.id for i in expected)
    assert [i.issued_at for i in invoices] == sorted((i.issued_at for i in invoices), reverse=True)
    reference = next(i for i in expected if i.reference_type == "QRR").payment_reference
    found = await erp_adapter.list_invoices(MUSTER, ListFilter(search=reference))
    assert [i.payment_reference for i in found] == [reference]


BATCH_CALLS: dict[str, BatchCall] = {
    "GetCustomers": lambda a, s: a.get_customers([c.number for c in s.customers]),
    "GetAddresses": lambda a, s: a.addresses_of([c.number for c in s.customers]),
    "GetQuotes": lambda a, s: a.get_quotes([q.id for q in s.quotes]),
    "GetQuoteLines": lambda a, s: a.quote_lines([q.id for q in s.quotes]),
    "GetOrders": lambda a, s: a.get_orders([o.id for o in s.orders]),
    "GetOrderLines": lambda a, s: a.order_lines([o.id for o in s.orders]),
    "GetDeliveriesByOrders": lambda a, s: a.deliveries_of([o.id for o in s.orders]),
    "GetInvoices": lambda a, s: a.get_invoices([i.id for i in s.invoices]),
    "GetInvoicesByOrders": lambda a, s: a.invoices_of_orders([o.id for o in s.orders]),
    "GetCreditNotes": lambda a, s: a.credit_notes_of([i.id for i in s.invoices]),
    "GetOpenItems": lambda a, s: a.open_items([c.number for c in s.customers]),
}


@pytest.mark.parametrize("operation", sorted(BATCH_CALLS))
async def test_a_batch_is_one_request(
    erp_adapter: ErpAdapter, erp_seed: Seed, erp_control: ErpControl, operation: str
) -> None:
    results = await BATCH_CALLS[operation](erp_adapter, erp_seed)
    assert results
    assert await erp_control.requests() == {operation: 1}


async def test_an_empty_batch_asks_nothing(
    erp_adapter: ErpAdapter, erp_control: ErpControl
) -> None:
    assert await erp_adapter.get_orders([]) == []
    assert await erp_adapter.deliveries_of([]) == []
    assert await erp_control.requests() == {}


async def test_a_server_fault_is_unavailable_and_retried(
    erp_adapter: ErpAdapter, erp_control: ErpControl
) -> None:
    await erp_control.set_faults(error_rate=1.0, operations=["GetInvoices"])
    with pytest.raises(UpstreamUnavailable, match="soap:Server") as raised:
        await erp_adapter.get_invoices(["90000001"])
    assert raised.value.system is System.ERP
    assert await erp_control.requests() == {"GetInvoices": ERP_RETRY.attempts}
    assert await erp_adapter.get_customers([MUSTER])  # other operations are unaffected


async def test_a_write_is_sent_once_whatever_happens(erp_url: str, erp_control: ErpControl) -> None:
    retry = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02)
    adapter = await connect_erp(erp_url, retry=retry)
    await erp_control.set_faults(mode="down", operations=["CreateAddress", "GetAddresses"])
    values = AddressFields("Lager", "Hafenstrasse", "1", "8400", "Winterthur", "CH")
    try:
        with pytest.raises(UpstreamUnavailable):
            await adapter.create_address(MUSTER, "SHIPPING", values)
        with pytest.raises(UpstreamUnavailable):
            await adapter.addresses_of([MUSTER])
    finally:
        await adapter.aclose()
    assert await erp_control.requests() == {"CreateAddress": 1, "GetAddresses": retry.attempts}


async def test_a_refused_write_says_why_and_changes_nothing(
    erp_adapter: ErpAdapter, erp_seed: Seed, erp_control: ErpControl
) -> None:
    before = [vars(a).copy() for a in erp_seed.addresses]
    with pytest.raises(UpstreamRefused) as last:
        await erp_adapter.delete_address(MUSTER, "ADR-101")
    with pytest.raises(UpstreamRefused) as foreign:
        await erp_adapter.update_address(LUMIERE, "ADR-103", AddressFields(city="Lausanne"))
    assert [(v.field, v.code) for v in last.value.refusals] == [
        ("address_id", "LAST_BILLING_ADDRESS")
    ]
    assert [(v.field, v.code) for v in foreign.value.refusals] == [("address_id", "NOT_FOUND")]
    assert not last.value.retriable
    assert await erp_control.requests() == {"DeleteAddress": 1, "UpdateAddress": 1}
    assert [vars(a) for a in erp_seed.addresses] == before


@pytest.fixture
async def erp_soap(erp_url: str) -> AsyncIterator[SoapService]:
    """The adapter's SOAP client alone, to send what the adapter never would."""
    http = create_client(erp_url, HttpLimits())
    soap = SoapService.create(System.ERP, WSDL_PATH, BINDING, erp_url, http)
    yield soap
    await soap.aclose()


async def test_a_client_fault_is_rejected(erp_soap: SoapService, erp_control: ErpControl) -> None:
    with pytest.raises(UpstreamRejected, match="soap:Client") as raised:
        await erp_soap.call("ListOrders", CustomerNumber=MUSTER, Offset=0, Limit=500)
    assert not raised.value.retriable
    assert await erp_control.requests() == {"ListOrders": 1}


def test_page_size_is_bounded_by_the_erp(erp_soap: SoapService) -> None:
    with pytest.raises(ValueError, match="page_size"):
        ErpAdapter(erp_soap, Guard(System.ERP), page_size=101)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("soap:Client", UpstreamRejected),
        ("SOAP-ENV:Client.Authentication", UpstreamRejected),
        ("soap:VersionMismatch", UpstreamRejected),
        ("soap:Server", UpstreamUnavailable),
        ("Server.Database", UpstreamUnavailable),
        (None, UpstreamUnavailable),  # a non-200 answer without a Fault element
    ],
)
def test_fault_codes(code: str | None, error: type[UpstreamError]) -> None:
    fault = Fault("text", code=code)  # type: ignore[no-untyped-call]  # zeep is unannotated
    assert type(fault_error(System.ERP, fault)) is error


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (200, UpstreamBadResponse),  # not XML
        (404, UpstreamRejected),
        (429, UpstreamUnavailable),
        (502, UpstreamUnavailable),
    ],
)
def test_http_failures(status: int, error: type[UpstreamError]) -> None:
    failure = TransportError("no envelope", status_code=status)  # type: ignore[no-untyped-call]
    assert type(transport_error(System.ERP, failure)) is error


async def test_garbage_is_a_bad_response(erp_adapter: ErpAdapter, erp_control: ErpControl) -> None:
    await erp_control.set_faults(mode="garbage")
    with pytest.raises(UpstreamBadResponse, match="not a SOAP answer"):
        await erp_adapter.get_orders(["10000001"])
    assert await erp_control.requests() == {"GetOrders": 1}


async def test_down_is_unavailable_after_every_attempt(
    erp_url: str, erp_control: ErpControl
) -> None:
    retry = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02)
    adapter = await connect_erp(erp_url, retry=retry)
    await erp_control.set_faults(mode="down")
    try:
        with pytest.raises(UpstreamUnavailable):
            await adapter.list_invoices(MUSTER, ListFilter())
    finally:
        await adapter.aclose()
    assert await erp_control.requests() == {"ListInvoices": retry.attempts}


async def test_a_hang_is_a_timeout(erp_url: str, erp_control: ErpControl) -> None:
    adapter = await connect_erp(erp_url, limits=HANG_LIMITS, retry=RetryPolicy(attempts=1))
    await erp_control.set_faults(mode="hang", operations=["GetQuotes"])
    try:
        with pytest.raises(UpstreamTimeout):
            await adapter.get_quotes(["30000002"])
    finally:
        await adapter.aclose()


async def test_an_unreachable_erp_is_unavailable() -> None:
    with bind() as sock:  # closed again: nothing listens on the port
        host, port = sock.getsockname()[:2]
    url = f"http://{host}:{port}/erp"
    adapter = await connect_erp(url, limits=HANG_LIMITS, retry=RetryPolicy(attempts=1))
    try:
        with pytest.raises(UpstreamUnavailable):
            await adapter.get_customers([MUSTER])
    finally:
        await adapter.aclose()
