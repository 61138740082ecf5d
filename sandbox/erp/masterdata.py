"""The sandbox ERP's master-data writes: a customer changes its own record, invoice channel and
addresses. They answer as every write does (`writes.py`), with the record as it now stands.

The legal name, the VAT number and a billing address's values need the provider's approval:
such a change is kept as requested (`approval` pending, the old values stay in effect) until
`/_advance` approves or rejects it (`sandbox.erp.advance`); meanwhile a further change of them
is refused. Every write names the customer, and an address of another customer is unknown.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sandbox.erp import checks, serialize
from sandbox.erp.checks import ADDRESS_ELEMENTS, CUSTOMER_ELEMENTS
from sandbox.erp.envelope import qname
from sandbox.erp.writes import (
    Checks,
    Message,
    Refused,
    Request,
    Written,
    customer_of,
    of_customer,
    write,
)
from sandbox.model import Address, Customer, Seed

NEEDS_APPROVAL = frozenset({"name", "vat"})
"""Customer attributes that change only on the provider's approval."""
APPROVED_ADDRESS_TYPE = "invoice"
"""Changes to these addresses need approval: invoices go there."""


def _given(request: Request, elements: Mapping[str, str]) -> dict[str, str]:
    """The attributes the request sets (elements present, even empty), trimmed; country codes
    upper case."""
    found = {}
    for element, attribute in elements.items():
        value = request.element.findtext(qname(element))
        if value is not None:
            found[attribute] = value.strip().upper() if element == "Country" else value.strip()
    return found


def _address(seed: Seed, request: Request) -> Address:
    customer = customer_of(seed, request, selling=False)
    return of_customer(customer, request, seed.addresses, "AddressId", "ADDRESS_UNKNOWN")


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
        raise Refused([Message("CHANGE_PENDING", text)])
    record.requested = dict(changes)
    record.approval = "pending"


def _changes(record: Any, given: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in given.items() if getattr(record, name) != value}


@write("UpdateCustomer")
def update_customer(seed: Seed, _: datetime, request: Request) -> Written:
    customer = customer_of(seed, request, selling=False)
    given = _given(request, CUSTOMER_ELEMENTS)
    Checks(checks.customer(given, customer.country)).done()
    changes = _changes(customer, given)
    approved = {name: value for name, value in changes.items() if name in NEEDS_APPROVAL}
    _apply(customer, approved, approval=True)  # first: it may refuse the whole write
    _apply(customer, {n: v for n, v in changes.items() if n not in approved}, approval=False)
    return Written([serialize.customer(customer)])


@write("SetInvoiceChannel")
def set_invoice_channel(seed: Seed, _: datetime, request: Request) -> Written:
    customer = customer_of(seed, request, selling=False)
    channel = (request.element.findtext(qname("InvoiceChannel")) or "").strip()
    recipient = request.element.findtext(qname("EbillRecipientId"))
    recipient = recipient.strip() if recipient is not None else None
    Checks(checks.invoice_channel(channel, recipient)).done()
    customer.invoice_channel = channel
    customer.ebill_recipient_id = recipient if channel == "ebill" else None
    return Written([serialize.customer(customer)])


@write("CreateAddress")
def create_address(seed: Seed, _: datetime, request: Request) -> Written:
    customer = customer_of(seed, request, selling=False)
    kind = request.element.findtext(qname("Type")) or ""
    values = dict.fromkeys(ADDRESS_ELEMENTS.values(), "") | _given(request, ADDRESS_ELEMENTS)
    Checks(checks.address_type(kind) + checks.address(values)).done()
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
    return Written([serialize.address(address)], ("ADDRESS_CREATED", f"address {address.id}"))


@write("UpdateAddress")
def update_address(seed: Seed, _: datetime, request: Request) -> Written:
    address = _address(seed, request)
    given = _given(request, ADDRESS_ELEMENTS)
    current = {attribute: getattr(address, attribute) for attribute in ADDRESS_ELEMENTS.values()}
    Checks(checks.address(current | given)).done()
    _apply(address, _changes(address, given), approval=address.type == APPROVED_ADDRESS_TYPE)
    return Written([serialize.address(address)])


@write("DeleteAddress")
def delete_address(seed: Seed, _: datetime, request: Request) -> Written:
    address = _address(seed, request)
    kind = (address.customer, address.type)
    same_type = [a for a in seed.addresses if (a.customer, a.type) == kind]
    if address.type == APPROVED_ADDRESS_TYPE and len(same_type) == 1:
        text = "The last invoice address cannot be deleted; invoices need one."
        raise Refused([Message("LAST_INVOICE_ADDRESS", text, "AddressId")])
    if address.is_default:
        text = "The default address cannot be deleted; make another one the default first."
        raise Refused([Message("IS_DEFAULT", text, "AddressId")])
    seed.addresses.remove(address)
    return Written([])


@write("SetDefaultAddress")
def set_default_address(seed: Seed, _: datetime, request: Request) -> Written:
    address = _address(seed, request)
    kind = (address.customer, address.type)
    for other in seed.addresses:
        if (other.customer, other.type) == kind:
            other.is_default = other is address
    return Written([serialize.address(address)])
