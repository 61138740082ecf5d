"""The ERP adapter: organizations, quotes, orders, invoices and service bookings from the
ERP's SOAP service.

Every read is one upstream call per batch (List* methods one per page of at most 100), made
through the ERP's guard as a read; records come back in key order, None or [] for keys the
ERP does not know. The writes are in `writes.py` (sales documents), `masterdata.py` and
`booking_writes.py`; privacy requests in `privacy.py`.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import httpx

from connectors.base.changes import ChangePage
from connectors.base.guard import Guard
from connectors.base.ports import ListFilter
from connectors.base.records import (
    Address,
    Booking,
    Customer,
    Delivery,
    DocumentLine,
    Invoice,
    OpenItem,
    Order,
    Quote,
    ServiceOffering,
    Slot,
    System,
)
from connectors.base.soap import Fields, SoapService
from connectors.erp import mapping
from connectors.erp.booking_writes import BookingWrites
from connectors.erp.masterdata import MasterDataWrites
from connectors.erp.privacy import PersonalData
from connectors.erp.writes import SalesWrites

WSDL_PATH = Path(__file__).with_name("erp.wsdl")
BINDING = "{urn:portalgraph:sandbox:erp:v1}ErpBinding"
MAX_PAGE_SIZE = 100
"""The ERP's limit per List* call."""
MAX_PAGES = 50
"""Bounds a list read (5,000 records at full pages); beyond, the list is cut with a warning."""

R = TypeVar("R")
Keyed = Callable[[Fields], tuple[str | None, R]]
"""Maps one answered record and names the batch key it belongs to."""

log = logging.getLogger(__name__)


def keyed_by(key: Callable[[R], str | None], mapper: Callable[[Fields], R]) -> Keyed[R]:
    def map_and_key(raw: Fields) -> tuple[str | None, R]:
        record = mapper(raw)
        return key(record), record

    return map_and_key


class ErpAdapter(SalesWrites, MasterDataWrites, BookingWrites, PersonalData):
    """Implements OrganizationPort (its writes in `MasterDataWrites`), QuotePort, OrderPort
    (their writes in `SalesWrites`), InvoicePort and BookingPort (its writes in
    `BookingWrites`), PersonalDataPort (`PersonalData`) and ChangeFeed (the ERP pushes nothing:
    its change log is polled)."""

    def __init__(
        self,
        soap: SoapService,
        guard: Guard,
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size is {page_size}; the ERP allows 1 to {MAX_PAGE_SIZE}")
        self._soap = soap
        self._guard = guard
        self._page_size = page_size
        self._max_pages = max_pages

    @classmethod
    async def connect(
        cls,
        endpoint: str,
        http: httpx.AsyncClient,
        guard: Guard,
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> "ErpAdapter":
        """An adapter for the SOAP service at `endpoint` (e.g. `http://erp:8002/erp`), sending
        over `http`, which it then owns. The shipped WSDL is parsed off the event loop."""
        soap = await asyncio.to_thread(
            SoapService.create, System.ERP, WSDL_PATH, BINDING, endpoint, http
        )
        return cls(soap, guard, page_size, max_pages)

    async def aclose(self) -> None:
        await self._soap.aclose()

    @property
    def system(self) -> System:
        return System.ERP

    async def changes_since(self, cursor: str | None, limit: int) -> ChangePage:
        since = int(cursor) if cursor is not None else 0
        answer = await self._read(
            "GetChanges", SinceStamp=since, Limit=limit if cursor is not None else 0
        )
        received_at = datetime.now(UTC)
        page = Fields(System.ERP, answer, "GetChanges")
        entries = page.records("Change")
        changes = [mapping.change(raw, received_at) for raw in entries]
        last = entries[-1].required("ChangeStamp", int) if entries else None
        head = page.required("LastStamp", int) if cursor is None else since
        return ChangePage(
            [change for change in changes if change is not None],
            str(last if last is not None else head),
        )

    # -- the shapes of a read ------------------------------------------------------------

    async def _read(self, operation: str, **params: object) -> object:
        return await self._guard.read(lambda: self._soap.call(operation, **params))

    async def _grouped(
        self, operation: str, param: str, keys: Sequence[str], mapper: Keyed[R]
    ) -> list[list[R]]:
        """Every record the ERP answers for each key, in key order: one call for the batch."""
        if not keys:
            return []
        answer = await self._read(operation, **{param: list(dict.fromkeys(keys))})
        groups: dict[str | None, list[R]] = {}
        for raw in Fields.each(System.ERP, answer, operation):
            key, record = mapper(raw)
            groups.setdefault(key, []).append(record)
        return [groups.get(key, []) for key in keys]

    async def _each(
        self, operation: str, param: str, keys: Sequence[str], mapper: Keyed[R]
    ) -> list[R | None]:
        """The one record per key (None when unknown), in key order: one call for the batch."""
        groups = await self._grouped(operation, param, keys, mapper)
        return [group[0] if group else None for group in groups]

    async def _list(
        self,
        operation: str,
        item: str,
        customer: str,
        query: ListFilter,
        mapper: Callable[[Fields], R],
    ) -> list[R]:
        """All of a customer's matching records, page by page until the ERP's Total."""
        found: list[R] = []
        for _ in range(self._max_pages):
            answer = await self._read(
                operation,
                CustomerNumber=customer,
                Search=query.search,
                DateFrom=query.date_from,
                DateTo=query.date_to,
                Offset=len(found),
                Limit=self._page_size,
            )
            page = Fields(System.ERP, answer, operation)
            records = page.records(item)
            found.extend(map(mapper, records))
            if not records or len(found) >= page.required("Total", int):
                return found
        log.warning("%s for %s: cut at %d records", operation, customer, len(found))
        return found

    # -- OrganizationPort ----------------------------------------------------------------

    async def get_customers(self, numbers: Sequence[str]) -> list[Customer | None]:
        mapper = keyed_by(lambda c: c.number, mapping.customer)
        return await self._each("GetCustomers", "CustomerNumber", numbers, mapper)

    async def addresses_of(self, customers: Sequence[str]) -> list[list[Address]]:
        mapper = keyed_by(lambda a: a.customer, mapping.address)
        return await self._grouped("GetAddresses", "CustomerNumber", customers, mapper)

    # -- QuotePort -----------------------------------------------------------------------

    async def get_quotes(self, ids: Sequence[str]) -> list[Quote | None]:
        return await self._each(
            "GetQuotes", "QuoteId", ids, keyed_by(lambda q: q.id, mapping.quote)
        )

    async def list_quotes(self, customer: str, query: ListFilter) -> list[Quote]:
        return await self._list("ListQuotes", "Quote", customer, query, mapping.quote)

    async def quote_lines(self, quote_ids: Sequence[str]) -> list[list[DocumentLine]]:
        groups = await self._each("GetQuoteLines", "QuoteId", quote_ids, mapping.line_group)
        return [lines or [] for lines in groups]

    # -- OrderPort -----------------------------------------------------------------------

    async def get_orders(self, ids: Sequence[str]) -> list[Order | None]:
        return await self._each(
            "GetOrders", "OrderId", ids, keyed_by(lambda o: o.id, mapping.order)
        )

    async def list_orders(self, customer: str, query: ListFilter) -> list[Order]:
        return await self._list("ListOrders", "Order", customer, query, mapping.order)

    async def order_lines(self, order_ids: Sequence[str]) -> list[list[DocumentLine]]:
        groups = await self._each("GetOrderLines", "OrderId", order_ids, mapping.line_group)
        return [lines or [] for lines in groups]

    async def deliveries_of(self, order_ids: Sequence[str]) -> list[list[Delivery]]:
        mapper = keyed_by(lambda d: d.order_id, mapping.delivery)
        return await self._grouped("GetDeliveriesByOrders", "OrderId", order_ids, mapper)

    # -- InvoicePort ---------------------------------------------------------------------

    async def get_invoices(self, ids: Sequence[str]) -> list[Invoice | None]:
        mapper = keyed_by(lambda i: i.id, mapping.invoice)
        return await self._each("GetInvoices", "InvoiceId", ids, mapper)

    async def list_invoices(self, customer: str, query: ListFilter) -> list[Invoice]:
        return await self._list("ListInvoices", "Invoice", customer, query, mapping.invoice)

    async def invoices_of_orders(self, order_ids: Sequence[str]) -> list[list[Invoice]]:
        mapper = keyed_by(lambda i: i.order_id, mapping.invoice)
        return await self._grouped("GetInvoicesByOrders", "OrderId", order_ids, mapper)

    async def credit_notes_of(self, invoice_ids: Sequence[str]) -> list[list[Invoice]]:
        mapper = keyed_by(lambda i: i.applied_to_invoice_id, mapping.invoice)
        return await self._grouped("GetCreditNotes", "InvoiceId", invoice_ids, mapper)

    async def open_items(self, customers: Sequence[str]) -> list[list[OpenItem]]:
        return await self._grouped("GetOpenItems", "CustomerNumber", customers, mapping.open_item)

    # -- BookingPort ---------------------------------------------------------------------

    async def offerings_of(self, customers: Sequence[str]) -> list[list[ServiceOffering]]:
        mapper = keyed_by(lambda o: o.customer, mapping.service_offering)
        return await self._grouped("GetServiceOfferings", "CustomerNumber", customers, mapper)

    async def get_slots(self, ids: Sequence[str]) -> list[Slot | None]:
        return await self._each(
            "GetServiceSlots", "SlotId", ids, keyed_by(lambda s: s.id, mapping.slot)
        )

    async def slots_of(self, offering_id: str, first: date, last: date) -> list[Slot]:
        answer = await self._read(
            "ListServiceSlots", OfferingId=offering_id, DateFrom=first, DateTo=last
        )
        return [mapping.slot(raw) for raw in Fields.each(System.ERP, answer, "ListServiceSlots")]

    async def get_bookings(self, ids: Sequence[str]) -> list[Booking | None]:
        mapper = keyed_by(lambda b: b.id, mapping.booking)
        return await self._each("GetServiceBookings", "BookingId", ids, mapper)

    async def list_bookings(self, customer: str, query: ListFilter) -> list[Booking]:
        return await self._list("ListServiceBookings", "Booking", customer, query, mapping.booking)
