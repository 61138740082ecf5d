"""The sandbox ERP's erasure of a customer's personal data for a privacy request, as SAP ILM
blocks and deletes: records whose purpose has ended are deleted, bookkeeping records within
their retention period are blocked (kept, answered as Blocked with the reason and their last
day), and the customer itself is blocked while any of its invoices is kept.

`EraseCustomerData` answers like every write (`writes.py`): an unknown customer is refused
with an E message; otherwise the records erased (Erased) and those kept (Blocked). Erasing
again what is gone erases nothing more.
"""

from datetime import date, datetime

from lxml import etree

from sandbox.erp.envelope import qname
from sandbox.erp.serialize import element
from sandbox.erp.writes import Request, Written, customer_of, write
from sandbox.model import Seed
from sandbox.retention import BOOKKEEPING_REASON, bookkeeping_until

DEBTOR_REASON = "Debtor of bookkeeping records that are kept: blocked as long as they are."


def _erased(kind: str, record_id: str) -> etree._Element:
    return element("Erased", [("ObjectType", kind), ("ObjectId", record_id)])


def _blocked(kind: str, record_id: str, reason: str, until: date) -> etree._Element:
    return element(
        "Blocked",
        [("ObjectType", kind), ("ObjectId", record_id), ("Reason", reason), ("RetainUntil", until)],
    )


def _erase_sales(seed: Seed, number: str) -> list[etree._Element]:
    orders = {o.id for o in seed.orders if o.customer == number}
    erased = [_erased("quote", q.id) for q in seed.quotes if q.customer == number]
    erased += [_erased("order", order_id) for order_id in sorted(orders)]
    erased += [
        _erased("delivery", d.id)
        for d in seed.deliveries
        if d.customer == number or d.order_id in orders
    ]
    erased += [_erased("booking", b.id) for b in seed.bookings if b.customer == number]
    seed.quotes[:] = [q for q in seed.quotes if q.customer != number]
    seed.orders[:] = [o for o in seed.orders if o.id not in orders]
    seed.deliveries[:] = [
        d for d in seed.deliveries if d.customer != number and d.order_id not in orders
    ]
    seed.bookings[:] = [b for b in seed.bookings if b.customer != number]
    return erased


def _erase_billing(seed: Seed, number: str, today: date) -> list[etree._Element]:
    answers = []
    for invoice in [i for i in seed.invoices if i.customer == number]:
        until = bookkeeping_until(invoice.invoice_date)
        if until >= today:
            answers.append(_blocked("invoice", invoice.id, BOOKKEEPING_REASON, until))
        else:
            seed.invoices.remove(invoice)
            answers.append(_erased("invoice", invoice.id))
    return answers


def _erase_partner(seed: Seed, number: str) -> list[etree._Element]:
    answers = [_erased("address", a.id) for a in seed.addresses if a.customer == number]
    seed.addresses[:] = [a for a in seed.addresses if a.customer != number]
    kept = [bookkeeping_until(i.invoice_date) for i in seed.invoices if i.customer == number]
    if kept:
        answers.append(_blocked("customer", number, DEBTOR_REASON, max(kept)))
    else:
        seed.customers[:] = [c for c in seed.customers if c.number != number]
        answers.append(_erased("customer", number))
    return answers


@write("EraseCustomerData")
def erase_customer_data(seed: Seed, now: datetime, request: Request) -> Written:
    customer = customer_of(seed, request, selling=False)
    classes = {child.text for child in request.element.iterfind(qname("ObjectClass"))}
    answers = []
    if "SALES" in classes:
        answers += _erase_sales(seed, customer.number)
    if "BILLING" in classes:
        answers += _erase_billing(seed, customer.number, now.date())
    if "PARTNER" in classes:
        answers += _erase_partner(seed, customer.number)
    erased = [a for a in answers if a.tag == qname("Erased")]
    return Written(erased + [a for a in answers if a.tag == qname("Blocked")])
