"""From a reference to a schema object: global IDs (`node`) and case references, each
tenant-checked by the resolvers and type-checked against the viewer's permissions here, so
foreign, unknown and not-permitted objects all come out as None (before any upstream call
for a type the viewer may not read)."""

from collections.abc import Awaitable, Callable

import strawberry

from auth.permissions import allows, requirement_of
from connectors.base import records as r
from resolvers import bookings, cases, documents, members, orders, payments, privacy
from resolvers.cases import CaseRecord
from resolvers.context import Context
from schema.bookings import Booking, ServiceOffering, Slot, offering_by_id
from schema.cases import Case
from schema.common import GlobalId, Node
from schema.documents import Document
from schema.invoices import Invoice
from schema.members import Member
from schema.orders import Delivery, Order
from schema.payments import Payment
from schema.privacy import PrivacyRequest
from schema.quotes import Quote
from schema.tickets import Ticket

Info = strawberry.Info[Context, None]


def case_of(record: CaseRecord, info: Info) -> Case:
    if isinstance(record, r.Quote):
        return Quote.of(record, info)
    if isinstance(record, r.Order):
        return Order.of(record, info)
    if isinstance(record, r.Invoice):
        return Invoice.of(record, info)
    if isinstance(record, r.Booking):
        return Booking.of(record, info)
    return Ticket.of(record, info)


CASE_CLASSES: dict[str, type] = {"QUOTE": Quote, "ORDER": Order, "INVOICE": Invoice,
                                 "TICKET": Ticket, "BOOKING": Booking}  # fmt: skip


def may_read(info: Info, cls: type) -> bool:
    """Whether the viewer holds what the schema type declares with `@requires`."""
    requirement = requirement_of(cls)
    return requirement is None or allows(info.context.principal, requirement)


def readable_case_types(info: Info) -> frozenset[str]:
    return frozenset(kind for kind, cls in CASE_CLASSES.items() if may_read(info, cls))


async def resolve_case(info: Info, ref: r.CaseRef) -> Case | None:
    record = await cases.case(info.context, ref, readable_case_types(info))
    return case_of(record, info) if record is not None else None


def subject_ref(subject_id: str) -> r.CaseRef:
    """The case a global ID names (any case type), as the DMS and CRM reference it; an ID
    that names no case is of type UNKNOWN, which no case and no event has."""
    parts = GlobalId.decode(subject_id)
    kind = parts.type_name.upper() if parts else ""
    if (
        parts is None
        or kind not in CASE_CLASSES
        or (parts.type_name, parts.system) not in NODE_LOADERS
    ):
        return r.CaseRef("UNKNOWN", subject_id)
    return r.CaseRef(kind, parts.external_id)


async def visible_case(info: Info, node_id: str) -> r.CaseRef | None:
    """The case a global ID names when the viewer can see it; None for anything else (another
    type, another organization's case, a case type the viewer may not read)."""
    ref = subject_ref(node_id)
    return ref if await resolve_case(info, ref) is not None else None


async def _delivery(info: Info, external_id: str) -> Node | None:
    order_id, _, delivery_id = external_id.partition("/")
    found = await orders.delivery(info.context, order_id, delivery_id)
    return Delivery.of(found, info) if found else None


async def _payment(info: Info, external_id: str) -> Node | None:
    found = await payments.payment(info.context, external_id)
    return Payment.of(found, info) if found else None


async def _slot(info: Info, external_id: str) -> Node | None:
    found = await bookings.slot(info.context, external_id)
    return Slot.of(found) if found else None


async def _document(info: Info, external_id: str) -> Node | None:
    found = await documents.document(info.context, external_id)
    return Document.of(found) if found else None


async def _privacy_request(info: Info, external_id: str) -> Node | None:
    found = await privacy.one(info.context, external_id)
    return PrivacyRequest.of(found) if found else None


async def _member(info: Info, external_id: str) -> Node | None:
    found = await members.member(info.context, external_id)
    return Member.of(found, info.context.tenant) if found else None


def _case(case_type: str) -> Callable[[Info, str], Awaitable[Node | None]]:
    async def load(info: Info, external_id: str) -> Node | None:
        return await resolve_case(info, r.CaseRef(case_type, external_id))

    return load


NODE_LOADERS: dict[tuple[str, str], tuple[type, Callable[[Info, str], Awaitable[Node | None]]]] = {
    ("Quote", "erp"): (Quote, _case("QUOTE")),
    ("Order", "erp"): (Order, _case("ORDER")),
    ("Invoice", "erp"): (Invoice, _case("INVOICE")),
    ("Ticket", "crm"): (Ticket, _case("TICKET")),
    ("Booking", "erp"): (Booking, _case("BOOKING")),
    ("Slot", "erp"): (Slot, _slot),
    ("ServiceOffering", "erp"): (ServiceOffering, offering_by_id),
    ("Delivery", "erp"): (Delivery, _delivery),
    ("Payment", "payments"): (Payment, _payment),
    ("Document", "dms"): (Document, _document),
    ("Member", "idp"): (Member, _member),
    ("PrivacyRequest", "crm"): (PrivacyRequest, _privacy_request),
}


async def resolve_node(info: Info, node_id: str) -> Node | None:
    parts = GlobalId.decode(node_id)
    found = NODE_LOADERS.get((parts.type_name, parts.system)) if parts else None
    if parts is None or found is None or not may_read(info, found[0]):
        return None
    return await found[1](info, parts.external_id)
