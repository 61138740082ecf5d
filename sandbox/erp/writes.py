"""The sandbox ERP's writes: how every write answers, and those to sales documents, Odoo-style
(`sale.order`): a customer's request for quotation, accepting a sent quote with a signature
(which confirms it into an order with its delivery), declining one, copying an order (reorder)
and cancelling one. The master-data writes (`masterdata.py`) and the service bookings'
(`booking_writes.py`) register here too.

Like a BAPI, a write answers its messages (`Return`): any of type E refuses the whole write
and changes nothing; one of type S says what was created; then the records written. Every
write to an order or a delivery lands in the change log (`GetChanges`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from lxml import etree

from sandbox.erp import serialize
from sandbox.erp.advance import QUOTE_VALIDITY, record_change
from sandbox.erp.envelope import erp_element, qname
from sandbox.erp.operations import Handler
from sandbox.model import Address, Booking, Customer, Delivery, Line, Order, Quote, Seed
from sandbox.rest import Clock

LEAD_TIME = timedelta(days=21)
"""The commitment date of an order whose customer asked for none."""
CREDIT_HOLD = "Kreditlimite überschritten"
MAX_LINES = 100
MAX_QUANTITY = Decimal(1_000_000)
TEXT_LIMITS = {"RequestedBy": 100, "SignedBy": 100, "ClientOrderRef": 35, "Note": 2000,
               "Reason": 1000}  # fmt: skip
"""Odoo's char fields are unbounded; SAP's purchase order number (BSTKD) has 35 characters."""
OPEN_PICKINGS = frozenset({"waiting", "assigned"})

D = TypeVar("D", Quote, Order, Address, Booking)


@dataclass(frozen=True)
class Message:
    """A rule a write breaks: its code, the text explaining it, and the request element at
    fault (None: the request as a whole)."""

    code: str
    text: str
    field: str | None = None


class Refused(Exception):
    """The write breaks the ERP's rules: answered with E messages, nothing changed."""

    def __init__(self, messages: list[Message]) -> None:
        super().__init__(messages)
        self.messages = messages


@dataclass
class Checks:
    """Collects every broken rule of a request, so that one answer names them all."""

    messages: list[Message] = field(default_factory=list)

    def require(self, ok: object, code: str, text: str, at: str | None = None) -> None:
        if not ok:
            self.messages.append(Message(code, text, at))

    def done(self) -> None:
        if self.messages:
            raise Refused(self.messages)


@dataclass(frozen=True)
class Request:
    """A schema-valid write request."""

    element: etree._Element

    def optional(self, name: str) -> str | None:
        return (self.element.findtext(qname(name)) or "").strip() or None

    def day(self, name: str) -> date | None:
        value = self.optional(name)
        return date.fromisoformat(value[:10]) if value else None

    def lines(self) -> list[tuple[str, Decimal]]:
        return [
            (
                line.findtext(qname("ProductCode")) or "",
                Decimal(line.findtext(qname("Quantity")) or 0),
            )
            for line in self.element.iterfind(qname("Line"))
        ]

    def text(self, checks: Checks, name: str, required: bool = False) -> str | None:
        """A text field, checked against its limit (and for presence)."""
        value = self.optional(name)
        checks.require(value or not required, "FIELD_REQUIRED", f"{name} is required", name)
        limit = TEXT_LIMITS[name]
        checks.require(
            len(value or "") <= limit, "FIELD_TOO_LONG", f"{name} exceeds {limit} characters", name
        )
        return value


@dataclass
class Written:
    """What a write answers after its messages."""

    records: list[etree._Element]
    """The records written, in the order of the answer's schema."""
    created: tuple[str, str] | None = None
    """The S message (code, text) of a write that created something."""


Write = Callable[[Seed, datetime, Request], Written]
WRITES: dict[str, Write] = {}


def write(name: str) -> Callable[[Write], Write]:
    def register(handler: Write) -> Write:
        WRITES[name] = handler
        return handler

    return register


def write_operations(clock: Clock) -> dict[str, Handler]:
    """The write operations as SOAP handlers, on `clock`'s time."""

    def bind(name: str, handler: Write) -> Handler:
        def operation(seed: Seed, element: etree._Element) -> etree._Element:
            response = erp_element(f"{name}Response")
            try:
                written = handler(seed, clock().replace(microsecond=0), Request(element))
            except Refused as refused:
                response.extend(
                    serialize.message("E", m.code, m.text, m.field) for m in refused.messages
                )
                return response
            if written.created is not None:
                response.append(serialize.message("S", *written.created))
            response.extend(written.records)
            return response

        return operation

    return {name: bind(name, handler) for name, handler in WRITES.items()}


# -- shared rules ------------------------------------------------------------------------


def customer_of(seed: Seed, request: Request, selling: bool) -> Customer:
    """The customer the request acts for; one on credit block buys nothing."""
    number = request.optional("CustomerNumber")
    found = next((c for c in seed.customers if c.number == number), None)
    if found is None:
        raise Refused([Message("CUSTOMER_UNKNOWN", f"no customer {number}", "CustomerNumber")])
    if selling and found.credit_status == "blocked":
        text = f"customer {number} is blocked"
        raise Refused([Message("CUSTOMER_BLOCKED", text, "CustomerNumber")])
    return found


def of_customer(customer: Customer, request: Request, records: list[D], key: str, rule: str) -> D:
    """The record the request's `key` names, if it is the customer's: another customer's
    is as unknown as a missing one."""
    wanted = request.optional(key)
    for record in records:
        if record.id == wanted and record.customer == customer.number:
            return record
    raise Refused([Message(rule, f"no {key} {wanted} of this customer", key)])


def open_quote(seed: Seed, request: Request, selling: bool) -> tuple[Customer, Quote, Checks]:
    """The customer and the quote the request names, with the check that it is open (sent)."""
    customer = customer_of(seed, request, selling)
    quote = of_customer(customer, request, seed.quotes, "QuoteId", "QUOTE_UNKNOWN")
    checks = Checks()
    checks.require(
        quote.state == "sent", "QUOTE_NOT_OPEN", f"{quote.number} is {quote.state}", "QuoteId"
    )
    return customer, quote, checks


def order_of(seed: Seed, customer: Customer, request: Request) -> Order:
    return of_customer(customer, request, seed.orders, "OrderId", "ORDER_UNKNOWN")


def next_id(records: Iterable[Quote | Order | Delivery]) -> str:
    return str(max(int(record.id) for record in records) + 1)


def next_number(records: Iterable[Quote | Order | Delivery], prefix: str, now: datetime) -> str:
    sequence = max(int(record.number.rsplit("-", 1)[1]) for record in records) + 1
    return f"{prefix}-{now.year}-{sequence:04d}"


def valid_quantity(quantity: Decimal) -> bool:
    """Positive, at most the UoM's three decimals, and a plausible amount."""
    exponent = quantity.as_tuple().exponent
    return 0 < quantity <= MAX_QUANTITY and isinstance(exponent, int) and exponent >= -3


def new_quote(
    seed: Seed, customer: Customer, now: datetime, lines: list[Line], state: str
) -> Quote:
    quote = Quote(
        id=next_id(seed.quotes),
        number=next_number(seed.quotes, "AN", now),
        customer=customer.number,
        state=state,
        created_at=now,
        updated_at=now,
        validity_date=(now + QUOTE_VALIDITY).date(),
        currency=customer.currency,
        lines=lines,
    )
    seed.quotes.append(quote)
    return quote


def confirm(
    seed: Seed,
    customer: Customer,
    now: datetime,
    lines: list[Line],
    reference: str | None,
    source: Quote | None = None,
) -> Order:
    """A confirmed order of `lines` with its delivery, held when the customer is on credit
    hold; both written to the change log."""
    commitment = (source.commitment_date if source else None) or (now + LEAD_TIME).date()
    order = Order(
        id=next_id(seed.orders),
        number=next_number(seed.orders, "SO", now),
        customer=customer.number,
        state="sale",
        delivery_status="pending",
        invoice_status="no",
        locked=False,
        client_order_ref=reference,
        date_order=now,
        commitment_date=commitment,
        updated_at=now,
        currency=source.currency if source else customer.currency,
        lines=[replace(line, qty_delivered=Decimal(0), qty_invoiced=Decimal(0)) for line in lines],
        hold_reason=CREDIT_HOLD if customer.credit_status == "hold" else None,
        quote_id=source.id if source else None,
    )
    delivery = Delivery(
        id=next_id(seed.deliveries),
        number=next_number(seed.deliveries, "LS", now),
        order_id=order.id,
        customer=customer.number,
        state="waiting",
        scheduled_date=commitment,
        shipped_at=None,
        delivered_at=None,
        carrier=None,
        tracking_ref=None,
        lines=[(line.position, line.quantity) for line in order.lines],
    )
    seed.orders.append(order)
    seed.deliveries.append(delivery)
    record_change(seed, "order", order.id, None, customer.number, now)
    record_change(seed, "delivery", delivery.id, order.id, customer.number, now)
    return order


# -- the operations ----------------------------------------------------------------------


@write("RequestQuote")
def request_quote(seed: Seed, now: datetime, request: Request) -> Written:
    customer = customer_of(seed, request, selling=True)
    checks = Checks()
    requested_by = request.text(checks, "RequestedBy", required=True)
    note = request.text(checks, "Note")
    wanted = request.lines()
    checks.require(wanted or note, "REQUEST_EMPTY", "name products or describe the request")
    checks.require(len(wanted) <= MAX_LINES, "TOO_MANY_LINES", f"at most {MAX_LINES} lines", "Line")
    desired = request.day("CommitmentDate")
    checks.require(
        desired is None or desired >= now.date(),
        "DATE_IN_PAST",
        "the commitment date has passed",
        "CommitmentDate",
    )
    lines: list[Line] = []
    for index, (code, quantity) in enumerate(wanted, start=1):
        product = next((p for p in seed.products if p.code == code), None)
        price = product.prices.get(customer.currency) if product is not None else None
        at = f"Line[{index}]"
        checks.require(
            product and price, "PRODUCT_UNKNOWN", f"no product {code}", f"{at}/ProductCode"
        )
        checks.require(
            not product or product.sale_ok,
            "PRODUCT_DISCONTINUED",
            f"{code} is no longer sold",
            f"{at}/ProductCode",
        )
        checks.require(
            valid_quantity(quantity), "QUANTITY_INVALID", f"quantity {quantity}", f"{at}/Quantity"
        )
        if product is not None and price is not None:
            lines.append(Line(10 * index, code, product.description, quantity, price))
    checks.done()
    quote = new_quote(seed, customer, now, lines, "draft")
    quote.requested_by, quote.request_note, quote.commitment_date = requested_by, note, desired
    created = ("QUOTE_CREATED", f"quotation {quote.number} requested")
    return Written([serialize.quote(quote)], created)


@write("AcceptQuote")
def accept_quote(seed: Seed, now: datetime, request: Request) -> Written:
    customer, quote, checks = open_quote(seed, request, selling=True)
    checks.require(
        quote.state != "sent" or quote.validity_date >= now.date(),
        "QUOTE_EXPIRED",
        f"{quote.number} expired on {quote.validity_date}",
        "QuoteId",
    )
    signer = request.text(checks, "SignedBy", required=True)
    reference = request.text(checks, "ClientOrderRef")
    checks.done()
    order = confirm(seed, customer, now, quote.lines, reference, quote)
    quote.state, quote.signed_by, quote.signed_on = "sale", signer, now
    quote.order_id, quote.updated_at = order.id, now
    created = ("ORDER_CREATED", f"{quote.number} signed; sales order {order.number} confirmed")
    return Written([serialize.quote(quote), serialize.order(order)], created)


@write("DeclineQuote")
def decline_quote(seed: Seed, now: datetime, request: Request) -> Written:
    _, quote, checks = open_quote(seed, request, selling=False)
    reason = request.text(checks, "Reason", required=True)
    checks.done()
    quote.state, quote.decline_reason, quote.updated_at = "cancel", reason, now
    return Written([serialize.quote(quote)], ("QUOTE_DECLINED", f"{quote.number} declined"))


@write("CopyOrder")
def copy_order(seed: Seed, now: datetime, request: Request) -> Written:
    """The source's lines at today's list prices: an order when no price changed, else a
    sent quote for the customer to accept."""
    customer = customer_of(seed, request, selling=True)
    source = order_of(seed, customer, request)
    checks = Checks()
    reference = request.text(checks, "ClientOrderRef")
    lines: list[Line] = []
    for line in source.lines:
        product = next((p for p in seed.products if p.code == line.product), None)
        price = product.prices.get(source.currency) if product and product.sale_ok else None
        checks.require(
            price, "PRODUCT_DISCONTINUED", f"{line.product} is no longer sold", "OrderId"
        )
        if product is not None and price is not None:
            lines.append(
                Line(line.position, line.product, product.description, line.quantity, price)
            )
    checks.done()
    if any(new.unit_price != old.unit_price for new, old in zip(lines, source.lines, strict=True)):
        quote = new_quote(seed, customer, now, lines, "sent")
        created = ("QUOTE_CREATED", f"prices changed: quotation {quote.number}")
        return Written([serialize.quote(quote)], created)
    order = confirm(seed, customer, now, lines, reference)
    created = ("ORDER_CREATED", f"sales order {order.number} confirmed")
    return Written([serialize.order(order)], created)


@write("CancelOrder")
def cancel_order(seed: Seed, now: datetime, request: Request) -> Written:
    customer = customer_of(seed, request, selling=False)
    order = order_of(seed, customer, request)
    pickings = [d for d in seed.deliveries if d.order_id == order.id]
    checks = Checks()
    request.text(checks, "Reason", required=True)
    if order.state == "cancel":
        checks.require(False, "ORDER_CANCELLED", f"{order.number} is cancelled", "OrderId")
    else:
        shipped = order.delivery_status in {"partial", "full"} or any(
            d.state not in OPEN_PICKINGS | {"cancel"} for d in pickings
        )
        invoiced = order.invoice_status == "invoiced" or any(
            i.order_id == order.id and i.state == "posted" for i in seed.invoices
        )
        checks.require(not order.locked, "ORDER_LOCKED", f"{order.number} is done", "OrderId")
        checks.require(not shipped, "ORDER_SHIPPED", f"{order.number} has shipped", "OrderId")
        checks.require(not invoiced, "ORDER_INVOICED", f"{order.number} is invoiced", "OrderId")
    checks.done()
    order.state, order.updated_at = "cancel", now
    for picking in pickings:
        if picking.state in OPEN_PICKINGS:
            picking.state = "cancel"
            record_change(seed, "delivery", picking.id, order.id, customer.number, now)
    record_change(seed, "order", order.id, None, customer.number, now)
    return Written([serialize.order(order)], ("ORDER_CANCELLED", f"{order.number} cancelled"))
