"""The graph's entry points: Query, and `build_schema` with the gateway's extensions."""

from collections.abc import Callable, Sequence
from typing import Annotated

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from resolvers import cases, documents, invoices, orders, organization, quotes, tickets
from resolvers.context import Context
from resolvers.errors import NotFound, Unauthenticated
from resolvers.pagination import PageArgs
from schema.cases import Case
from schema.common import SCALARS, Connection, Node, connection, external_id
from schema.documents import Document
from schema.inputs import (
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
from schema.invoices import AccountBalance, Invoice
from schema.orders import Delivery, Order
from schema.organization import Organization, Viewer
from schema.payments import Payment
from schema.quotes import Quote
from schema.resolution import case_of, resolve_node
from schema.subscriptions import Subscription
from schema.tickets import Ticket

Info = strawberry.Info[Context, None]

FirstArg = Annotated[
    int | None, strawberry.argument(description="Items from the start (at most 100; default 20).")
]
AfterArg = Annotated[str | None, strawberry.argument(description="Start after this cursor.")]
LastArg = Annotated[
    int | None, strawberry.argument(description="Items from the end (at most 100).")
]
BeforeArg = Annotated[str | None, strawberry.argument(description="End before this cursor.")]


def page_args(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> PageArgs:
    return PageArgs(first=first, after=after, last=last, before=before)


def require_principal(info: Info) -> None:
    if info.context.principal is None:
        raise Unauthenticated()


@strawberry.type(description="Read the customer portal's graph.")
class Query:
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

    @strawberry.field(description="Open items: what the organization owes and when (ERP).")
    async def account_balance(self, info: Info) -> AccountBalance | None:
        balance = await invoices.account_balance(info.context)
        return AccountBalance.of(balance) if balance is not None else None

    @strawberry.field(description="The case overview: quotes, orders, invoices and tickets.")
    async def cases(
        self,
        info: Info,
        filter: CaseFilterInput | None = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Case] | None:
        where = (filter or CaseFilterInput()).build()
        found = await cases.cases(info.context, where, page_args(first, after, last, before))
        return connection(found, lambda record: case_of(record, info))

    @strawberry.field(description="Quotes (Offerten), newest first by default.")
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
        found = await quotes.quotes(
            info.context,
            (filter or QuoteFilterInput()).build(),
            sort_of(sort.field, sort.direction),
            page_args(first, after, last, before),
        )
        return connection(found, lambda quote: Quote.of(quote, info))

    @strawberry.field(description="One quote by ID.")
    async def quote(self, info: Info, id: strawberry.ID) -> Quote | None:
        found = await quotes.quote(info.context, external_id(id, "Quote"))
        if found is None:
            raise NotFound("quote")
        return Quote.of(found, info)

    @strawberry.field(description="Orders, newest first by default.")
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
        found = await orders.orders(
            info.context,
            (filter or OrderFilterInput()).build(),
            sort_of(sort.field, sort.direction),
            page_args(first, after, last, before),
        )
        return connection(found, lambda order: Order.of(order, info))

    @strawberry.field(description="One order by ID.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        found = await orders.order(info.context, external_id(id, "Order"))
        if found is None:
            raise NotFound("order")
        return Order.of(found, info)

    @strawberry.field(description="Invoices and credit notes, newest first by default.")
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

    @strawberry.field(description="One invoice or credit note by ID.")
    async def invoice(self, info: Info, id: strawberry.ID) -> Invoice | None:
        found = await invoices.invoice(info.context, external_id(id, "Invoice"))
        if found is None:
            raise NotFound("invoice")
        return Invoice.of(found, info)

    @strawberry.field(description="Support tickets, newest first by default.")
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

    @strawberry.field(description="One ticket by ID.")
    async def ticket(self, info: Info, id: strawberry.ID) -> Ticket | None:
        found = await tickets.ticket(info.context, external_id(id, "Ticket"))
        if found is None:
            raise NotFound("ticket")
        return Ticket.of(found, info)

    @strawberry.field(description="Documents shared with the organization (DMS).")
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

    @strawberry.field(description="One document by ID.")
    async def document(self, info: Info, id: strawberry.ID) -> Document | None:
        found = await documents.document(info.context, external_id(id, "Document"))
        if found is None:
            raise NotFound("document")
        return Document.of(found)


def build_schema(
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map=SCALARS),
        types=[Delivery, Payment, Quote, Order, Invoice, Ticket],
        extensions=list(extensions),
    )
