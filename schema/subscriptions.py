"""The graph's subscriptions: each event of the viewer's organization, re-resolved into the
same types a query answers. Every field takes `after`, the cursor of the last event a client
received (each payload carries its cursor in `extensions.cursor`), to resume without a gap.

The organization and the permission come from the token (resolvers.subscriptions); the
arguments only narrow the stream further.
"""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection
from typing import Annotated, TypeVar

import strawberry

from connectors.base import records as r
from connectors.base.changes import Change
from resolvers import (
    documents,
    invoices,
    orders,
    payments,
    privacy,
    subscriptions,
    threads,
    tickets,
)
from resolvers.context import Context
from schema.cases import Case
from schema.common import external_id
from schema.documents import DocumentVersion
from schema.enums import CaseType
from schema.invoices import AccountBalance, Invoice
from schema.notices import SystemNotice
from schema.orders import Delivery, Order
from schema.payments import Payment
from schema.privacy import PrivacyRequest
from schema.resolution import resolve_case, subject_ref
from schema.threads import Message
from schema.tickets import Ticket

Info = strawberry.Info[Context, None]
T = TypeVar("T")

AfterArg = Annotated[
    str | None,
    strawberry.argument(
        description="Resume after this event cursor (`extensions.cursor` of the last payload "
        "received): retained events after it are replayed in order first."
    ),
]
CASE_EVENTS = {
    "order.status_changed": "ORDER",
    "invoice.status_changed": "INVOICE",
    "ticket.status_changed": "TICKET",
    "booking.status_changed": "BOOKING",
}
PAYMENT_EVENTS = frozenset(
    {"payment.succeeded", "payment.status_changed", "refund.updated", "payment.disputed"}
)
BALANCE_EVENTS = frozenset({"invoice.status_changed", "payment.succeeded"})


async def stream(
    info: Info,
    areas: Collection[str],
    after: str | None,
    kinds: Collection[str],
    resolve: Callable[[Change], Awaitable[T | None]],
) -> AsyncGenerator[T, None]:
    """The resolved objects of the events of `kinds`; events whose object the viewer cannot
    see (or that the arguments exclude) resolve to None and are skipped."""
    changes = await subscriptions.open_changes(info.context, areas, after)

    async def resolved() -> AsyncGenerator[T, None]:
        async for change in changes:
            if change.kind in kinds:
                found = await resolve(change)
                if found is not None:
                    yield found

    return resolved()


def optional_id(node_id: strawberry.ID | None, type_name: str) -> str | None:
    return external_id(node_id, type_name) if node_id is not None else None


def related_id(change: Change, ref_type: str) -> str | None:
    return next((ref.id for ref in change.related if ref.type == ref_type), None)


@strawberry.type(description="Changes as they happen, of the viewer's organization only.")
class Subscription:
    @strawberry.subscription(description="An order, invoice, ticket or booking changed state.")
    async def case_updated(
        self, info: Info, types: list[CaseType] | None = None, after: AfterArg = None
    ) -> AsyncGenerator[Case, None]:
        wanted = {t.value for t in types} if types else set(CASE_EVENTS.values())

        async def case(change: Change) -> Case | None:
            if CASE_EVENTS[change.kind] not in wanted:
                return None
            return await resolve_case(info, r.CaseRef(CASE_EVENTS[change.kind], change.entity_id))

        areas = ("orders", "invoices", "tickets", "bookings")
        return await stream(info, areas, after, CASE_EVENTS, case)

    @strawberry.subscription(description="An order's status changed (all orders, or one).")
    async def order_status_changed(
        self, info: Info, order_id: strawberry.ID | None = None, after: AfterArg = None
    ) -> AsyncGenerator[Order, None]:
        only = optional_id(order_id, "Order")

        async def order(change: Change) -> Order | None:
            if only not in (None, change.entity_id):
                return None
            found = await orders.order(info.context, change.entity_id)
            return Order.of(found, info) if found else None

        return await stream(info, ("orders",), after, {"order.status_changed"}, order)

    @strawberry.subscription(description="A delivery changed: planned, shipped, delivered.")
    async def delivery_updated(
        self, info: Info, order_id: strawberry.ID | None = None, after: AfterArg = None
    ) -> AsyncGenerator[Delivery, None]:
        only = optional_id(order_id, "Order")

        async def delivery(change: Change) -> Delivery | None:
            parent = related_id(change, "ORDER")
            if parent is None or only not in (None, parent):
                return None
            found = await orders.delivery(info.context, parent, change.entity_id)
            return Delivery.of(found, info) if found else None

        return await stream(info, ("orders",), after, {"delivery.updated"}, delivery)

    @strawberry.subscription(description="An invoice's status changed, e.g. to PAID.")
    async def invoice_status_changed(
        self, info: Info, invoice_id: strawberry.ID | None = None, after: AfterArg = None
    ) -> AsyncGenerator[Invoice, None]:
        only = optional_id(invoice_id, "Invoice")

        async def invoice(change: Change) -> Invoice | None:
            if only not in (None, change.entity_id):
                return None
            found = await invoices.invoice(info.context, change.entity_id)
            return Invoice.of(found, info) if found else None

        return await stream(info, ("invoices",), after, {"invoice.status_changed"}, invoice)

    @strawberry.subscription(
        description="A payment's status changed; after a redirect checkout, follow one."
    )
    async def payment_status_changed(
        self, info: Info, payment_id: strawberry.ID | None = None, after: AfterArg = None
    ) -> AsyncGenerator[Payment, None]:
        only = optional_id(payment_id, "Payment")

        async def payment(change: Change) -> Payment | None:
            if only not in (None, change.entity_id):
                return None
            found = await payments.payment(info.context, change.entity_id)
            return Payment.of(found, info) if found else None

        return await stream(info, ("payments",), after, PAYMENT_EVENTS, payment)

    @strawberry.subscription(description="The open items changed (an invoice, a payment).")
    async def account_balance_changed(
        self, info: Info, after: AfterArg = None
    ) -> AsyncGenerator[AccountBalance, None]:
        async def balance(_: Change) -> AccountBalance | None:
            found = await invoices.account_balance(info.context)
            return AccountBalance.of(found) if found else None

        return await stream(info, ("invoices",), after, BALANCE_EVENTS, balance)

    @strawberry.subscription(description="A public message was added to a case's thread.")
    async def message_added(
        self, info: Info, subject_id: strawberry.ID | None = None, after: AfterArg = None
    ) -> AsyncGenerator[Message, None]:
        subject = subject_ref(subject_id) if subject_id is not None else None

        async def message(change: Change) -> Message | None:
            on = next((ref for ref in change.related if ref.type in CaseType.__members__), None)
            if on is None or subject not in (None, on):
                return None
            case, found = await asyncio.gather(  # one wait for both reads, not two
                resolve_case(info, on), threads.message(info.context, on, change.entity_id)
            )
            return Message.of(found, info) if case is not None and found is not None else None

        return await stream(info, ("tickets",), after, {"message.created"}, message)

    @strawberry.subscription(
        description="A ticket changed in a way that moves its SLA clock (status, pause, "
        "resolution); `sla.status` tells AT_RISK or BREACHED."
    )
    async def ticket_sla_changed(
        self, info: Info, ticket_id: strawberry.ID | None = None, after: AfterArg = None
    ) -> AsyncGenerator[Ticket, None]:
        only = optional_id(ticket_id, "Ticket")

        async def ticket(change: Change) -> Ticket | None:
            if only not in (None, change.entity_id):
                return None
            found = await tickets.ticket(info.context, change.entity_id)
            return Ticket.of(found, info) if found else None

        return await stream(info, ("tickets",), after, {"ticket.status_changed"}, ticket)

    @strawberry.subscription(description="A document attached to a case got a new version.")
    async def document_version_added(
        self, info: Info, subject_id: strawberry.ID | None = None, after: AfterArg = None
    ) -> AsyncGenerator[DocumentVersion, None]:
        subject = subject_ref(subject_id) if subject_id is not None else None

        async def version(change: Change) -> DocumentVersion | None:
            if subject is not None and subject not in change.related:
                return None
            document = await documents.document(info.context, change.entity_id)
            if document is None:
                return None
            wanted = related_id(change, "VERSION")
            found = await documents.versions(info.context, document)
            chosen = next((v for v in found if v.id == wanted), None)
            return DocumentVersion.of(document, chosen) if chosen else None

        return await stream(info, ("documents",), after, {"document.version_added"}, version)

    @strawberry.subscription(description="The provider published a notice (maintenance, …).")
    async def system_notice_published(
        self, info: Info, after: AfterArg = None
    ) -> AsyncGenerator[SystemNotice, None]:
        async def notice(change: Change) -> SystemNotice | None:
            return SystemNotice.of(change.notice) if change.notice else None

        return await stream(info, ("notices",), after, {"notice.published"}, notice)

    @strawberry.subscription(
        description="One of the viewer's privacy requests moved on: its status, a system's "
        "outcome (all of them, or one)."
    )
    async def privacy_request_updated(
        self, info: Info, request_id: strawberry.ID | None = None, after: AfterArg = None
    ) -> AsyncGenerator[PrivacyRequest, None]:
        only = optional_id(request_id, "PrivacyRequest")

        async def request(change: Change) -> PrivacyRequest | None:
            if only not in (None, change.entity_id):
                return None
            found = await privacy.one(info.context, change.entity_id)
            return PrivacyRequest.of(found) if found else None

        return await stream(info, ("privacy",), after, {"privacy_request.updated"}, request)
