"""The ERP adapter's part of privacy requests (`PersonalDataPort`): a private customer's records
read back for an export, and erased with `EraseCustomerData`, which blocks the bookkeeping
records the ERP must keep.

The ERP's records of a company are the company's, not one person's: for a member of a company
it holds nothing to export or erase.
"""

import asyncio
from typing import Protocol

from connectors.base.ports import (
    BookingPort,
    InvoicePort,
    ListFilter,
    OrderPort,
    OrganizationPort,
    QuotePort,
)
from connectors.base.records import DataSubject, ErasureOutcome, PersonalRecord, System
from connectors.erp import codes, mapping
from connectors.erp.writes import ErpWriter

EVERYTHING = ListFilter()


class ErpReads(OrganizationPort, QuotePort, OrderPort, InvoicePort, BookingPort, Protocol):
    """The reads an export is made of (the ERP adapter's own)."""


class PersonalData(ErpWriter):
    """`PersonalDataPort` of the ERP, mixed into `ErpAdapter`."""

    async def export_personal_data(
        self: ErpReads, subject: DataSubject, scope: frozenset[str]
    ) -> list[PersonalRecord]:
        if not subject.whole_customer:
            return []
        number = subject.customer
        customers, addresses, quotes, orders, invoices, bookings = await asyncio.gather(
            self.get_customers([number]),
            self.addresses_of([number]),
            self.list_quotes(number, EVERYTHING),
            self.list_orders(number, EVERYTHING),
            self.list_invoices(number, EVERYTHING),
            self.list_bookings(number, EVERYTHING),
        )
        order_ids, quote_ids = [o.id for o in orders], [q.id for q in quotes]
        quote_lines, order_lines, deliveries = await asyncio.gather(
            self.quote_lines(quote_ids), self.order_lines(order_ids), self.deliveries_of(order_ids)
        )
        found = [
            PersonalRecord("PROFILE", "CUSTOMER", c.number, c) for c in customers if c is not None
        ]
        found += [PersonalRecord("PROFILE", "ADDRESS", a.id, a) for a in addresses[0]]
        found += [PersonalRecord("SALES", "QUOTE", q.id, q) for q in quotes]
        found += [
            PersonalRecord("SALES", "QUOTE_LINE", f"{quote_id}/{line.position}", line)
            for quote_id, lines in zip(quote_ids, quote_lines, strict=True)
            for line in lines
        ]
        found += [PersonalRecord("SALES", "ORDER", o.id, o) for o in orders]
        found += [
            PersonalRecord("SALES", "ORDER_LINE", f"{order_id}/{line.position}", line)
            for order_id, lines in zip(order_ids, order_lines, strict=True)
            for line in lines
        ]
        found += [
            PersonalRecord("SALES", "DELIVERY", d.id, d) for group in deliveries for d in group
        ]
        found += [PersonalRecord("SALES", "BOOKING", b.id, b) for b in bookings]
        found += [PersonalRecord("INVOICES", "INVOICE", i.id, i) for i in invoices]
        return [record for record in found if record.category in scope]

    async def erase_personal_data(
        self, subject: DataSubject, scope: frozenset[str], request_id: str
    ) -> ErasureOutcome:
        classes = [erp for category, erp in codes.ERASURE_CLASSES.items() if category in scope]
        if not subject.whole_customer or not classes:
            return ErasureOutcome(System.ERP, "DONE")
        written = await self._write(
            "EraseCustomerData",
            {},
            CustomerNumber=subject.customer,
            RequestId=request_id,
            ObjectClass=classes,
        )
        return mapping.erasure(written)
