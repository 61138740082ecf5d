"""ERP fixtures: the sandbox ERP under uvicorn on loopback, its control surface, and adapters
connected to it over real SOAP. `tests/conftest.py` imports the fixtures from here.

Also the requests whose answers are recorded under `tests/connectors/payloads/erp/`.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from lxml import etree

from connectors.base.guard import Guard, GuardPolicy
from connectors.base.http import HttpLimits, create_client
from connectors.base.records import System
from connectors.base.retry import RetryPolicy
from connectors.erp import ErpAdapter
from sandbox.erp import ERP_NS, ERP_PATH, create_erp_app
from sandbox.faults import Faults
from sandbox.model import Booking, Seed, ServiceSlot
from sandbox.seed import LUMIERE, MUSTER, NORDLICHT, TRAINING, build_seed, parse_now
from sandbox.stats import RequestStats
from tests.servers import serve_in_thread

ERP_NOW = "2026-03-10T09:00:00+01:00"
ERP_RETRY = RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.05)
PAYLOADS = Path(__file__).parent / "connectors" / "payloads" / "erp"
UNKNOWN = "does-not-exist"
RECORDED_WRITES = frozenset({"UpdateCustomer", "SetInvoiceChannel", "CreateAddress",
                             "UpdateAddress", "DeleteAddress", "SetDefaultAddress"})  # fmt: skip
"""The writes `recorded_requests` covers: refused, or setting what is set already."""


class ErpControl:
    """The sandbox ERP's control surface over HTTP: request counts and fault injection (the
    same methods as `tests.rest_fixtures.SandboxControl`)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def requests(self) -> dict[str, int]:
        """Requests per operation since the last reset."""
        response = await self._http.get("/_stats")
        response.raise_for_status()
        by_operation: dict[str, int] = response.json()["by_operation"]
        return by_operation

    async def reset_stats(self) -> None:
        (await self._http.post("/_stats/reset")).raise_for_status()

    async def set_faults(self, **spec: object) -> None:
        """E.g. `set_faults(mode="down")` (see `sandbox.faults`)."""
        (await self._http.post("/_faults", json=spec)).raise_for_status()

    async def reset(self) -> None:
        await self.set_faults(mode="ok")
        await self.reset_stats()


@pytest.fixture(scope="session")
def erp_seed() -> Seed:
    return build_seed(parse_now(ERP_NOW))


@pytest.fixture(scope="session")
def erp_server(erp_seed: Seed) -> Iterator[str]:
    """The sandbox ERP's base URL (`http://127.0.0.1:<port>`), for its control surface."""
    with serve_in_thread(create_erp_app(erp_seed, Faults(), RequestStats())) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def erp_url(erp_server: str) -> str:
    """The SOAP endpoint, as configured for the gateway (`PORTALGRAPH_ERP_URL`)."""
    return erp_server + ERP_PATH


@pytest.fixture(scope="session")
async def erp_control_http(erp_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=erp_server, timeout=5.0) as http:
        yield http


@pytest.fixture
async def erp_control(erp_control_http: httpx.AsyncClient) -> AsyncIterator[ErpControl]:
    """Fresh counters and no faults at the start, and no faults left behind."""
    control = ErpControl(erp_control_http)
    await control.reset()
    yield control
    await control.reset()


async def connect_erp(
    url: str, limits: HttpLimits | None = None, retry: RetryPolicy = ERP_RETRY, **paging: int
) -> ErpAdapter:
    """An adapter as the gateway connects it (with a fresh guard); `paging`: `page_size`,
    `max_pages`."""
    limits = limits or HttpLimits()
    guard = Guard(System.ERP, GuardPolicy(retry=retry, call_timeout_s=limits.total_timeout_s))
    return await ErpAdapter.connect(url, create_client(url, limits), guard, **paging)


@pytest.fixture
async def erp_adapter(erp_url: str) -> AsyncIterator[ErpAdapter]:
    """An adapter connected to the sandbox ERP; closed (with its HTTP client) afterwards."""
    adapter = await connect_erp(erp_url)
    yield adapter
    await adapter.aclose()


@dataclass
class OwnErp:
    """A test's own sandbox ERP: its base URL, its seed and its clock (`now[0]`)."""

    base_url: str
    seed: Seed
    now: list[datetime]

    @property
    def url(self) -> str:
        """The SOAP endpoint."""
        return self.base_url + ERP_PATH

    def snapshot(self) -> list[tuple[str, str, str]]:
        return [(b.id, b.state, b.slot_id) for b in self.seed.bookings]

    def taken(self, slot: ServiceSlot) -> int:
        offering = next(o for o in self.seed.offerings if o.id == slot.offering_id)
        return sum(
            len(b.attendees) if offering.manage_capacity else 1
            for b in self.seed.bookings
            if b.slot_id == slot.id and b.state != "cancelled"
        )

    def free_slot(self, offering_id: str, seats: int) -> ServiceSlot:
        """A slot to come with exactly `seats` seats left."""
        return next(
            s
            for s in self.seed.slots
            if s.offering_id == offering_id
            and s.start > self.seed.now
            and s.capacity - self.taken(s) == seats
        )

    def booking(self, customer: str, offering_id: str, state: str) -> Booking:
        return next(
            b
            for b in self.seed.bookings
            if (b.customer, b.offering_id, b.state) == (customer, offering_id, state)
        )


@contextmanager
def serve_own_erp() -> Iterator[OwnErp]:
    """A sandbox ERP of its own, with a fresh seed, its clock stopped at the seed's `now`."""
    seed = build_seed(parse_now(ERP_NOW))
    now = [seed.now]
    app = create_erp_app(seed, Faults(), RequestStats(), clock=lambda: now[0])
    with serve_in_thread(app) as base_url:
        yield OwnErp(base_url, seed, now)


@pytest.fixture
def own_erp() -> Iterator[OwnErp]:
    """An ERP of this test's own (it writes), its clock stopped at the seed's `now`."""
    with serve_own_erp() as erp:
        yield erp


# -- recorded answers ------------------------------------------------------------------


SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def erp(name: str) -> str:
    """An element name in the ERP's namespace."""
    return f"{{{ERP_NS}}}{name}"


def answer_body(content: bytes) -> etree._Element:
    """The first element in the answer's SOAP Body."""
    body = etree.fromstring(content).find(f"{{{SOAP_ENV}}}Body")
    assert body is not None
    return body[0]


def fault_of(response: httpx.Response) -> tuple[str, str]:
    fault = answer_body(response.content)
    assert fault.tag == f"{{{SOAP_ENV}}}Fault"
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""


async def post(erp_url: str, body: bytes, action: str | None = None) -> httpx.Response:
    """A raw SOAP request, as any client sends it."""
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = f'"{ERP_NS}/{action}"'
    async with httpx.AsyncClient(timeout=5.0) as http:
        return await http.post(erp_url, content=body, headers=headers)


def soap_request(operation: str, params: list[tuple[str, str]]) -> bytes:
    """A SOAP 1.1 request envelope as any client would send it."""
    children = "".join(f"<erp:{name}>{value}</erp:{name}>" for name, value in params)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
        f' xmlns:erp="{ERP_NS}"><soap:Body><erp:{operation}>{children}</erp:{operation}>'
        "</soap:Body></soap:Envelope>"
    ).encode()


def recorded_requests(seed: Seed) -> dict[str, bytes]:
    """One request per operation, covering every state the seed has; their answers are the
    recorded payloads (`PAYLOADS / f"{operation}.xml"`). Writes are refused or change
    nothing, so that the shared seed stays as built."""

    def ids(name: str, values: list[str]) -> list[tuple[str, str]]:
        return [(name, value) for value in [*values, UNKNOWN]]

    def page(customer: str) -> list[tuple[str, str]]:
        return [("CustomerNumber", customer), ("Offset", "0"), ("Limit", "3")]

    customers = [customer.number for customer in seed.customers]
    quotes = [quote.id for quote in seed.quotes]
    orders = [order.id for order in seed.orders if int(order.id) < 10000020]  # no fillers
    invoices = [invoice.id for invoice in seed.invoices if int(invoice.id) < 90000040]
    credited = [invoice.reversed_invoice_id or "" for invoice in seed.invoices]
    lumiere = next(customer for customer in seed.customers if customer.number == LUMIERE)
    courses = [slot.start.date().isoformat() for slot in seed.slots if slot.offering_id == TRAINING]
    calls = {
        "GetCustomers": ids("CustomerNumber", customers),
        "GetAddresses": ids("CustomerNumber", [MUSTER, LUMIERE]),
        "GetQuotes": ids("QuoteId", quotes),
        "ListQuotes": page(MUSTER),
        "GetQuoteLines": ids("QuoteId", quotes[:4]),
        "GetOrders": ids("OrderId", orders),
        "ListOrders": page(MUSTER),
        "GetOrderLines": ids("OrderId", orders[:4]),
        "GetDeliveriesByOrders": ids("OrderId", orders),
        "GetInvoices": ids("InvoiceId", invoices),
        "ListInvoices": page(MUSTER),
        "GetInvoicesByOrders": ids("OrderId", orders),
        "GetCreditNotes": ids("InvoiceId", [i for i in invoices if i in credited]),
        "GetOpenItems": ids("CustomerNumber", customers),
        "GetChanges": [("SinceStamp", "0"), ("Limit", "10")],  # the seed's log is empty
        "UpdateCustomer": [("CustomerNumber", MUSTER), ("Lang", "de_CH")],
        "SetInvoiceChannel": [("CustomerNumber", LUMIERE), ("InvoiceChannel", "ebill"),
                              ("EbillRecipientId", lumiere.ebill_recipient_id or "")],
        "CreateAddress": [("CustomerNumber", MUSTER), ("Type", "delivery"), ("Name", ""),
                          ("Street", "Industriestrasse"), ("PostalCode", "84000"),
                          ("City", "Winterthur"), ("Country", "CH")],  # refused
        "UpdateAddress": [("CustomerNumber", MUSTER), ("AddressId", "ADR-103"),
                          ("City", "Winterthur")],
        "DeleteAddress": [("CustomerNumber", MUSTER), ("AddressId", "ADR-101")],  # refused
        "SetDefaultAddress": [("CustomerNumber", MUSTER), ("AddressId", "ADR-102")],
        "GetServiceOfferings": ids("CustomerNumber", [MUSTER, NORDLICHT]),
        "GetServiceSlots": ids("SlotId", [slot.id for slot in seed.slots]),
        "ListServiceSlots": [
            ("OfferingId", TRAINING),
            ("DateFrom", min(courses)),
            ("DateTo", max(courses)),
        ],
        "GetServiceBookings": ids("BookingId", [booking.id for booking in seed.bookings]),
        "ListServiceBookings": page(MUSTER),
    }  # fmt: skip
    return {operation: soap_request(operation, params) for operation, params in calls.items()}
