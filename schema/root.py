"""The graph's entry points: Query, and `build_schema` with the gateway's extensions."""

import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from auth.permissions import check, requires
from auth.policy import DOCUMENTS_READ_ANY, Permission
from resolvers import (
    bookings,
    cases,
    documents,
    insights,
    invoices,
    orders,
    organization,
    quotes,
    tickets,
)
from resolvers.context import Context
from resolvers.errors import NotFound, Unauthenticated, is_unexpected
from schema.address_mutations import AddressMutations
from schema.booking_mutations import BookingMutations
from schema.bookings import Booking, ServiceOffering, Slot
from schema.cached import declare_cached
from schema.cases import Case
from schema.common import SCALARS, Connection, Node, connection, external_id
from schema.consents import ConsentMutations, ConsentQueries
from schema.contact_mutations import ContactPersonMutations
from schema.document_mutations import DocumentMutations
from schema.documents import Document
from schema.execution import executor_for
from schema.inputs import (
    BookingFilterInput,
    BookingSort,
    BookingSortField,
    CaseFilterInput,
    DocumentFilterInput,
    DocumentSort,
    DocumentSortField,
    InvoiceFilterInput,
    InvoiceSort,
    InvoiceSortField,
    OrderFilterInput,
    OrderSort,
    OrderSortField,
    QuoteFilterInput,
    QuoteSort,
    QuoteSortField,
    TicketFilterInput,
    TicketSort,
    TicketSortField,
    sort_of,
)
from schema.insights import Insights
from schema.invoices import AccountBalance, Invoice
from schema.lean import lean_resolvers
from schema.member_mutations import MemberMutations
from schema.order_mutations import OrderMutations
from schema.orders import Delivery, Order
from schema.organization import Organization, Viewer
from schema.organization_mutations import OrganizationMutations
from schema.paging import AfterArg, BeforeArg, FirstArg, LastArg, page_args
from schema.payment_mutations import PaymentMutations
from schema.payments import Payment
from schema.preferences import PreferenceMutations
from schema.privacy import PrivacyMutations, PrivacyQueries
from schema.quote_mutations import QuoteMutations
from schema.quotes import Quote
from schema.recommendations import RECOMMENDATIONS
from schema.resolution import case_of, readable_case_types, resolve_node, subject_ref
from schema.subscriptions import Subscription
from schema.thread_mutations import ThreadMutations
from schema.threads import MessageThread
from schema.ticket_mutations import TicketMutations
from schema.tickets import Ticket

Info = strawberry.Info[Context, None]


def require_principal(info: Info) -> None:
    if info.context.principal is None:
        raise Unauthenticated()


def price_sort_allowed(info: Info, field: str) -> None:
    """Sorting by amount would reveal prices to a viewer who may not see them."""
    if field == "TOTAL":
        check(info.context.principal, Permission.PRICES_READ)


@strawberry.type(description="Read the customer portal's graph.")
class Query(ConsentQueries, PrivacyQueries):
    @strawberry.field(description="Who is asking: the user, roles and active organization.")
    def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated()
        return Viewer.of(principal)

    @strawberry.field(description="Any object by its global ID.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        require_principal(info)
        found = await resolve_node(info, id)
        if found is None:
            raise NotFound()
        return found

    @strawberry.field(description="Objects by their global IDs; an unknown one is null.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        require_principal(info)
        return [await resolve_node(info, node_id) for node_id in ids]

    @strawberry.field(description="The viewer's active organization.")
    async def organization(self, info: Info) -> Organization | None:
        customer = await organization.organization(info.context)
        return Organization.of(customer) if customer is not None else None

    @strawberry.field(
        description="Open items: what the organization owes and when (ERP).",
        extensions=requires(Permission.INVOICES_READ),
    )
    async def account_balance(self, info: Info) -> AccountBalance | None:
        balance = await invoices.account_balance(info.context)
        return AccountBalance.of(balance) if balance is not None else None

    @strawberry.field(
        description="The case overview: quotes, orders, invoices, tickets and bookings."
    )
    async def cases(
        self,
        info: Info,
        filter: CaseFilterInput | None = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Case] | None:
        where = (filter or CaseFilterInput()).build().limited_to(readable_case_types(info))
        found = await cases.cases(info.context, where, page_args(first, after, last, before))
        return connection(found, lambda record: case_of(record, info))

    @strawberry.field(
        description="Quotes (Offerten), newest first by default.",
        extensions=requires(Permission.QUOTES_READ),
    )
    async def quotes(
        self,
        info: Info,
        filter: QuoteFilterInput | None = None,
        order_by: QuoteSort | None = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Quote] | None:
        sort = order_by or QuoteSort(field=QuoteSortField.CREATED_AT)
        price_sort_allowed(info, sort.field.value)
        found = await quotes.quotes(
            info.context,
            (filter or QuoteFilterInput()).build(),
            sort_of(sort.field, sort.direction),
            page_args(first, after, last, before),
        )
        return connection(found, lambda quote: Quote.of(quote, info))

    @strawberry.field(description="One quote by ID.", extensions=requires(Permission.QUOTES_READ))
    async def quote(self, info: Info, id: strawberry.ID) -> Quote | None:
        found = await quotes.quote(info.context, external_id(id, "Quote"))
        if found is None:
            raise NotFound("quote")
        return Quote.of(found, info)

    @strawberry.field(
        description="Orders, newest first by default.", extensions=requires(Permission.ORDERS_READ)
    )
    async def orders(
        self,
        info: Info,
        filter: OrderFilterInput | None = None,
        order_by: OrderSort | None = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Order] | None:
        sort = order_by or OrderSort(field=OrderSortField.ORDERED_AT)
        price_sort_allowed(info, sort.field.value)
        found = await orders.orders(
            info.context,
            (filter or OrderFilterInput()).build(),
            sort_of(sort.field, sort.direction),
            page_args(first, after, last, before),
        )
        return connection(found, lambda order: Order.of(order, info))

    @strawberry.field(description="One order by ID.", extensions=requires(Permission.ORDERS_READ))
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        found = await orders.order(info.context, external_id(id, "Order"))
        if found is None:
            raise NotFound("order")
        return Order.of(found, info)

    @strawberry.field(
        description="Invoices and credit notes, newest first by default.",
        extensions=requires(Permission.INVOICES_READ),
    )
    async def invoices(
        self,
        info: Info,
        filter: InvoiceFilterInput | None = None,
        order_by: InvoiceSort | None = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Invoice] | None:
        sort = order_by or InvoiceSort(field=InvoiceSortField.ISSUED_AT)
        found = await invoices.invoices(
            info.context,
            (filter or InvoiceFilterInput()).build(),
            sort_of(sort.field, sort.direction),
            page_args(first, after, last, before),
        )
        return connection(found, lambda invoice: Invoice.of(invoice, info))

    @strawberry.field(
        description="One invoice or credit note by ID.",
        extensions=requires(Permission.INVOICES_READ),
    )
    async def invoice(self, info: Info, id: strawberry.ID) -> Invoice | None:
        found = await invoices.invoice(info.context, external_id(id, "Invoice"))
        if found is None:
            raise NotFound("invoice")
        return Invoice.of(found, info)

    @strawberry.field(
        description="Support tickets, newest first by default.",
        extensions=requires(Permission.TICKETS_READ),
    )
    async def tickets(
        self,
        info: Info,
        filter: TicketFilterInput | None = None,
        order_by: TicketSort | None = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Ticket] | None:
        sort = order_by or TicketSort(field=TicketSortField.UPDATED_AT)
        found = await tickets.tickets(
            info.context,
            (filter or TicketFilterInput()).build(),
            sort_of(sort.field, sort.direction),
            page_args(first, after, last, before),
        )
        return connection(found, lambda ticket: Ticket.of(ticket, info))

    @strawberry.field(description="One ticket by ID.", extensions=requires(Permission.TICKETS_READ))
    async def ticket(self, info: Info, id: strawberry.ID) -> Ticket | None:
        found = await tickets.ticket(info.context, external_id(id, "Ticket"))
        if found is None:
            raise NotFound("ticket")
        return Ticket.of(found, info)

    @strawberry.field(
        description="The messages on a case (quote, order, invoice, ticket or booking) the "
        "viewer may read.",
        extensions=requires(Permission.TICKETS_READ),
    )
    async def thread(self, info: Info, subject_id: strawberry.ID) -> MessageThread | None:
        subject = subject_ref(subject_id)
        if await cases.case(info.context, subject, readable_case_types(info)) is None:
            raise NotFound("case")
        return MessageThread(subject=subject)

    @strawberry.field(
        description="The services the organization can book, at its prices (ERP).",
        extensions=requires(Permission.BOOKINGS_READ),
    )
    async def service_offerings(self, info: Info) -> list[ServiceOffering] | None:
        return [ServiceOffering.of(o) for o in await bookings.offerings(info.context)]

    @strawberry.field(
        description="An offering's slots with a free seat that begin on the days `from` to "
        "`to` (at most 62 days), earliest first.",
        extensions=requires(Permission.BOOKINGS_READ),
    )
    async def available_slots(
        self,
        info: Info,
        offering_id: Annotated[strawberry.ID, strawberry.argument(description="The offering.")],
        date_from: Annotated[date, strawberry.argument(name="from", description="First day.")],
        date_to: Annotated[date, strawberry.argument(name="to", description="Last day.")],
    ) -> list[Slot] | None:
        offering = external_id(offering_id, "ServiceOffering")
        found = await bookings.available_slots(info.context, offering, date_from, date_to)
        return [Slot.of(slot) for slot in found]

    @strawberry.field(
        description="Booked services, latest start first by default.",
        extensions=requires(Permission.BOOKINGS_READ),
    )
    async def bookings(
        self,
        info: Info,
        filter: BookingFilterInput | None = None,
        order_by: BookingSort | None = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Booking] | None:
        sort = order_by or BookingSort(field=BookingSortField.START)
        found = await bookings.bookings(
            info.context,
            (filter or BookingFilterInput()).build(),
            sort_of(sort.field, sort.direction),
            page_args(first, after, last, before),
        )
        return connection(found, lambda booking: Booking.of(booking, info))

    @strawberry.field(
        description="One booking by ID.", extensions=requires(Permission.BOOKINGS_READ)
    )
    async def booking(self, info: Info, id: strawberry.ID) -> Booking | None:
        found = await bookings.booking(info.context, external_id(id, "Booking"))
        if found is None:
            raise NotFound("booking")
        return Booking.of(found, info)

    @strawberry.field(
        description=(
            "Documents shared with the organization (DMS), of the audiences the viewer may read."
        ),
        extensions=requires(DOCUMENTS_READ_ANY),
    )
    async def documents(
        self,
        info: Info,
        filter: DocumentFilterInput | None = None,
        order_by: DocumentSort | None = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Document] | None:
        sort = order_by or DocumentSort(field=DocumentSortField.UPDATED_AT)
        found = await documents.documents(
            info.context,
            (filter or DocumentFilterInput()).build(),
            sort_of(sort.field, sort.direction),
            page_args(first, after, last, before),
        )
        return connection(found, Document.of)

    @strawberry.field(description="One document by ID.", extensions=requires(DOCUMENTS_READ_ANY))
    async def document(self, info: Info, id: strawberry.ID) -> Document | None:
        found = await documents.document(info.context, external_id(id, "Document"))
        if found is None:
            raise NotFound("document")
        return Document.of(found)

    @strawberry.field(
        description="Usage, tickets against their SLA and the ROI estimate (analytics:read). "
        "Provider staff may name any organization, or none for all.",
        extensions=requires(Permission.ANALYTICS_READ),
    )
    async def insights(
        self,
        info: Info,
        date_from: Annotated[date, strawberry.argument(name="from", description="First day.")],
        date_to: Annotated[date, strawberry.argument(name="to", description="Last day.")],
        organization_id: Annotated[
            str | None, strawberry.argument(description="An ERP customer number.")
        ] = None,
    ) -> Insights | None:
        report = await insights.insights(info.context, date_from, date_to, organization_id)
        return Insights.of(report)


@strawberry.type(description="Change the portal's systems of record (self-service).")
class Mutation(
    PaymentMutations,
    QuoteMutations,
    OrderMutations,
    OrganizationMutations,
    AddressMutations,
    ContactPersonMutations,
    MemberMutations,
    DocumentMutations,
    ConsentMutations,
    PrivacyMutations,
    TicketMutations,
    ThreadMutations,
    BookingMutations,
    PreferenceMutations,
):
    pass


log = logging.getLogger("portalgraph.errors")


class GatewaySchema(strawberry.Schema):
    """Logs only unexpected errors, with the request ID (expected ones, such as FORBIDDEN or
    NOT_FOUND, are answers, not incidents)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        request_id = getattr(context, "request_id", "-")
        for error in errors:
            if is_unexpected(error):
                log.error("request %s: %s", request_id, error, exc_info=error.original_error)


def build_schema(
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map=SCALARS),
        types=[Delivery, Payment, Quote, Order, Invoice, Ticket, Booking, *RECOMMENDATIONS],
        extensions=list(extensions),
    )
    lean_resolvers(schema)
    declare_cached(schema._schema)
    schema.execution_context_class = executor_for(schema)
    return schema
