"""The sandbox ERP's master-data writes: a customer changes its own record, invoice channel and
addresses. Answers are BAPI-style: the ERP's messages, then the record as it now stands; an
error message (type E) refuses the whole write, which then changes nothing.

The legal name, the VAT number and a billing address's values need the provider's approval:
such a change is kept as requested (`approval` pending, the old values stay in effect) until
`/_advance` approves or rejects it (`sandbox.erp.advance`); meanwhile a further change of them
is refused. Every write names the customer, and an address of another customer is unknown.
"""

from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from sandbox.erp import checks, serialize
from sandbox.erp.checks import ADDRESS_ELEMENTS, CUSTOMER_ELEMENTS, Message
from sandbox.erp.envelope import qname
from sandbox.erp.operations import operation, response
from sandbox.model import Address, Customer, Seed

NEEDS_APPROVAL = frozenset({"name", "vat"})
"""Customer attributes that change only on the provider's approval."""
APPROVED_ADDRESS_TYPE = "invoice"
"""Changes to these addresses need approval: invoices go there."""

Write = Callable[[Seed, etree._Element], etree._Element | None]


class Refused(Exception):
    def __init__(self, messages: list[Message]) -> None:
        super().__init__(messages)
        self.messages = messages


def write(name: str) -> Callable[[Write], Write]:
    """Register a write: its record (or nothing) answered after no messages, or its refusal's
    messages alone."""

    def register(handler: Write) -> Write:
        @operation(name)
        def answer(seed: Seed, request: etree._Element) -> etree._Element:
            try:
                record = handler(seed, request)
            except Refused as refused:
                return response(name, map(serialize.message, refused.messages))
            return response(name, [record] if record is not None else [])

        return handler

    return register


def _check(messages: list[Message]) -> None:
    if messages:
        raise Refused(messages)


def _given(request: etree._Element, elements: Mapping[str, str]) -> dict[str, str]:
    """The attributes the request sets (elements present), trimmed; country codes upper."""
    found = {}
    for element, attribute in elements.items():
        value = request.findtext(qname(element))
        if value is not None:
            found[attribute] = value.strip().upper() if element == "Country" else value.strip()
    return found


def _customer(seed: Seed, request: etree._Element) -> Customer:
    number = request.findtext(qname("CustomerNumber"))
    for customer in seed.customers:
        if customer.number == number:
            return customer
    raise Refused([Message("CustomerNumber", "NOT_FOUND", f"No customer {number}.")])


def _address(seed: Seed, request: etree._Element) -> Address:
    customer, address_id = _customer(seed, request), request.findtext(qname("AddressId"))
    for address in seed.addresses:
        if address.id == address_id and address.customer == customer.number:
            return address
    raise Refused([Message("AddressId", "NOT_FOUND", f"No address {address_id}.")])


def _apply(record: Customer | Address, changes: Mapping[str, str], approval: bool) -> None:
    """Apply `changes` now, or keep them as a change request awaiting approval."""
    if not changes:
        return
    if not approval:
        for attribute, value in changes.items():
            setattr(record, attribute, value)
        return
    if record.approval == "pending":
        text = "A change request awaits the provider's approval; change this again after it."
        raise Refused([Message(None, "CHANGE_PENDING", text)])
    record.requested = dict(changes)
    record.approval = "pending"


def _changes(record: Any, given: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in given.items() if getattr(record, name) != value}


@write("UpdateCustomer")
def update_customer(seed: Seed, request: etree._Element) -> etree._Element:
    customer = _customer(seed, request)
    given = _given(request, CUSTOMER_ELEMENTS)
    _check(checks.customer(given, customer.country))
    changes = _changes(customer, given)
    approved = {name: value for name, value in changes.items() if name in NEEDS_APPROVAL}
    _apply(customer, approved, approval=True)  # first: it may refuse the whole write
    _apply(customer, {n: v for n, v in changes.items() if n not in approved}, approval=False)
    return serialize.customer(customer)


@write("SetInvoiceChannel")
def set_invoice_channel(seed: Seed, request: etree._Element) -> etree._Element:
    customer = _customer(seed, request)
    channel = (request.findtext(qname("InvoiceChannel")) or "").strip()
    recipient = request.findtext(qname("EbillRecipientId"))
    recipient = recipient.strip() if recipient is not None else None
    _check(checks.invoice_channel(channel, recipient))
    customer.invoice_channel = channel
    customer.ebill_recipient_id = recipient if channel == "ebill" else None
    return serialize.customer(customer)


@write("CreateAddress")
def create_address(seed: Seed, request: etree._Element) -> etree._Element:
    customer = _customer(seed, request)
    kind = request.findtext(qname("Type")) or ""
    values = dict.fromkeys(ADDRESS_ELEMENTS.values(), "") | _given(request, ADDRESS_ELEMENTS)
    _check(checks.address_type(kind) + checks.address(values))
    first = not any(a.customer == customer.number and a.type == kind for a in seed.addresses)
    number = max((int(a.id.removeprefix("ADR-")) for a in seed.addresses), default=100) + 1
    address = Address(
        id=f"ADR-{number}",
        customer=customer.number,
        type=kind,
        name=values["name"],
        street=values["street"],
        house_number=values["house_number"],
        postal_code=values["postal_code"],
        city=values["city"],
        country=values["country"],
        is_default=first,
    )
    seed.addresses.append(address)
    return serialize.address(address)


@write("UpdateAddress")
def update_address(seed: Seed, request: etree._Element) -> etree._Element:
    address = _address(seed, request)
    given = _given(request, ADDRESS_ELEMENTS)
    current = {attribute: getattr(address, attribute) for attribute in ADDRESS_ELEMENTS.values()}
    _check(checks.address(current | given))
    _apply(address, _changes(address, given), approval=address.type == APPROVED_ADDRESS_TYPE)
    return serialize.address(address)


@write("DeleteAddress")
def delete_address(seed: Seed, request: etree._Element) -> None:
    address = _address(seed, request)
    kind = (address.customer, address.type)
    same_type = [a for a in seed.addresses if (a.customer, a.type) == kind]
    if address.type == APPROVED_ADDRESS_TYPE and len(same_type) == 1:
        text = "The last invoice address cannot be deleted; invoices need one."
        raise Refused([Message("AddressId", "LAST_INVOICE_ADDRESS", text)])
    if address.is_default:
        text = "The default address cannot be deleted; make another one the default first."
        raise Refused([Message("AddressId", "IS_DEFAULT", text)])
    seed.addresses.remove(address)


@write("SetDefaultAddress")
def set_default_address(seed: Seed, request: etree._Element) -> etree._Element:
    address = _address(seed, request)
    kind = (address.customer, address.type)
    for other in seed.addresses:
        if (other.customer, other.type) == kind:
            other.is_default = other is address
    return serialize.address(address)
